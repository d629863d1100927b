// Lua scripts are bundled as text (tsup `loader: { '.lua': 'text' }`; vitest loads them the same way).
declare module '*.lua' {
  const text: string;
  export default text;
}
