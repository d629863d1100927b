// `node --import @chat/testing/register-lua <file>`: run TypeScript sources that import `*.lua` (with tsx).
import { register } from 'node:module';

register('./lua-loader.mjs', import.meta.url);
