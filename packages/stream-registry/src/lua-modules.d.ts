// tsup (loader '.lua': 'text') and the test project both turn a Lua file into its source text.
declare module '*.lua' {
  const text: string;
  export default text;
}
