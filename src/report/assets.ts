/**
 * The Vega runtime and its CSP-safe expression interpreter, read from
 * node_modules once and inlined into every report. vega-lite is not needed in
 * the page: specs are compiled to Vega in Node (specs.ts).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { assertInlineSafe } from './html.js';

const require = createRequire(import.meta.url);

/** The directory of an installed package (found through its package.json). */
function packageDir(name: string): string {
  // vega-interpreter's "exports" hides package.json, so walk up from its entry point.
  let dir = dirname(require.resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === name) return dir;
    } catch {
      // no package.json here; keep walking up
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the package directory of ${name}`);
    dir = parent;
  }
}

function stripSourceMap(code: string): string {
  return code.replace(/\n\/\/# sourceMappingURL=\S*\s*$/, '\n');
}

/**
 * vega-interpreter ships only as an ES module that imports three helpers from
 * vega-util. The page has no module loader, so turn it into a classic script
 * that takes the helpers from the inlined `vega` global (which re-exports
 * them) and adds `vega.expressionInterpreter`.
 */
export function interpreterScript(moduleCode: string): string {
  const importLine = /^import \{ ([\w, ]+) \} from 'vega-util';$/m;
  const exportLine = /^export \{ expression as expressionInterpreter \};$/m;
  const imported = importLine.exec(moduleCode);
  if (!imported || !exportLine.test(moduleCode)) {
    throw new Error('vega-interpreter: unexpected module shape (its import or export line changed); update assets.ts');
  }
  const body = stripSourceMap(moduleCode)
    .replace(importLine, `const { ${imported[1]} } = vega;`)
    .replace(exportLine, 'vega.expressionInterpreter = expression;');
  return `(function () {\n'use strict';\n${body}\n})();\n`;
}

export interface Runtime {
  vega: string;
  vegaVersion: string;
  interpreter: string;
}

let cached: Runtime | undefined;

/** The inlined scripts, read once per process. */
export function runtime(): Runtime {
  if (cached) return cached;
  const vegaDir = packageDir('vega');
  const interpDir = packageDir('vega-interpreter');
  const vega = stripSourceMap(readFileSync(join(vegaDir, 'build', 'vega.min.js'), 'utf8'));
  const vegaVersion = (JSON.parse(readFileSync(join(vegaDir, 'package.json'), 'utf8')) as { version: string }).version;
  const interpreter = interpreterScript(readFileSync(join(interpDir, 'build', 'vega-interpreter.js'), 'utf8'));
  cached = {
    vega: assertInlineSafe('vega.min.js', vega),
    vegaVersion,
    interpreter: assertInlineSafe('vega-interpreter.js', interpreter),
  };
  return cached;
}
