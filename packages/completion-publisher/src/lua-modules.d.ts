// tsup (`loader: { '.lua': 'text' }`) and the vitest project embed Lua scripts as strings.
declare module '*.lua' {
  const text: string;
  export default text;
}
