// nunjucks ships no typings for its internal modules; nunjucks-internals.ts types what it uses.
declare module 'nunjucks/src/*.js' {
  const value: any;
  export default value;
}
