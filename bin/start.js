// What the bins share: run the compiled JavaScript in dist/ (built by `npm run build`,
// which `npm ci` runs through `prepare`); without it, the TypeScript sources through tsx.
import { existsSync } from 'node:fs';

/** Run src/<mod>.ts, compiled when dist/ holds it. */
export async function start(mod) {
  const compiled = new URL(`../dist/${mod}.js`, import.meta.url);
  if (existsSync(compiled)) {
    await import(compiled.href);
    return;
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL(`../src/${mod}.ts`, import.meta.url).href);
}
