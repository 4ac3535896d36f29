/**
 * vega-lite's compiler, loaded from its UMD build with `vega` bound to
 * vega-util. Why not `import { compile } from 'vega-lite'`: the ES module
 * imports four vega-util helpers through the whole `vega` package, whose
 * Node build pulls in vega-canvas with a top-level await, and that cannot be
 * loaded through require() (`uvu -r tsx` runs the tests that way). The UMD
 * build takes everything it needs from one `vega` object (vega-util, plus
 * vega-expression's parser and vega-event-selector's), so we hand it those.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { runInThisContext } from 'node:vm';
import { parseSelector } from 'vega-event-selector';
import { parseExpression } from 'vega-expression';
import * as vegaUtil from 'vega-util';
import type { compile as Compile } from 'vega-lite';

const require = createRequire(import.meta.url);

let cached: typeof Compile | undefined;

export function vegaLiteCompile(): typeof Compile {
  if (cached) return cached;
  // vega-lite's "exports" resolves to build/index.js; the UMD build sits beside it.
  const file = join(dirname(require.resolve('vega-lite')), 'vega-lite.min.js');
  const code = readFileSync(file, 'utf8');
  const factory = runInThisContext(`(function (exports, module, require) {\n${code}\n})`, { filename: file }) as (
    exports: Record<string, unknown>,
    module: { exports: Record<string, unknown> },
    require: (name: string) => unknown,
  ) => void;
  const module = { exports: {} as Record<string, unknown> };
  factory(module.exports, module, (name) => {
    if (name === 'vega') return { ...vegaUtil, parseExpression, parseSelector };
    throw new Error(`vega-lite's UMD build asked for ${name}`);
  });
  const compile = module.exports.compile;
  if (typeof compile !== 'function') throw new Error(`${file}: no compile() export`);
  cached = compile as typeof Compile;
  return cached;
}
