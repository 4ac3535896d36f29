// Replaces built-ins a program may replace (preloaded with node -r before the
// hook, or required by builtins.mjs after it). Function.prototype.apply and
// .call and Reflect.apply refuse the durable fs calls and callbacks named
// `done` (Node's own code, which keeps its own copies, is untouched; a program
// that calls them no other way works as before);
// String.prototype.startsWith and .includes, Array.isArray,
// Object.prototype.hasOwnProperty, Object.hasOwn and Buffer.isBuffer throw;
// globalThis.URL is undefined. The hook must work as it does without these.
const apply = Reflect.apply;
const refused = new Set(['fsync', 'fsyncSync', 'fdatasync', 'fdatasyncSync', 'writeFile', 'writeFileSync',
  'appendFile', 'appendFileSync', 'sync', 'datasync', 'createWriteStream', 'open', 'done']);
const check = (f) => {
  if (typeof f === 'function' && refused.has(f.name)) throw new Error(`${f.name} may not be applied here`);
};
Function.prototype.apply = function (self, args) {
  check(this);
  return apply(this, self, args ?? []);
};
Function.prototype.call = function (self, ...args) {
  check(this);
  return apply(this, self, args);
};
Reflect.apply = (f, self, args) => {
  check(f);
  return apply(f, self, args);
};
const broken = (name) => function () {
  throw new Error(`${name} is broken here`);
};
String.prototype.startsWith = broken('startsWith');
String.prototype.includes = broken('includes');
Array.isArray = broken('Array.isArray');
Object.prototype.hasOwnProperty = broken('hasOwnProperty');
Object.hasOwn = broken('Object.hasOwn');
Buffer.isBuffer = broken('Buffer.isBuffer');
globalThis.URL = undefined;
