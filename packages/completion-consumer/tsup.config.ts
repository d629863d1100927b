// The shared library build (dual ESM + CJS, types, embedded Lua).
export { default } from '../../tsup.library';
