/**
 * Not a test: renders the sample report and saves a PNG of its top, for the
 * README and for looking at the design.
 *   npx tsx test/report/screenshot.ts [out.png] [height]   (default docs/report.png, 2000)
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { renderReport } from '../../src/report/render.js';
import { Browser } from './chromium.js';
import { sampleReport } from './fixtures.js';

export async function screenshot(out: string, width = 1400, height = 2000): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'fsync-report-shot-'));
  const file = join(dir, 'report.html');
  writeFileSync(file, renderReport(sampleReport()));
  const browser = await Browser.launch([`--window-size=${width},${height}`]);
  try {
    const page = await browser.newPage();
    await page.send('Page.enable');
    await page.send('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
    await page.send('Page.navigate', { url: pathToFileURL(file).href });
    await page.waitFor(`document.documentElement.dataset.charts === 'done'`);
    const { data } = await page.send<{ data: string }>('Page.captureScreenshot', {
      format: 'png',
      clip: { x: 0, y: 0, width, height, scale: 1 },
    });
    const png = Buffer.from(data, 'base64');
    writeFileSync(out, png);
    return png.length;
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run only as a program (uvu loads every file under test/report, this one included).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const out = resolve(process.argv[2] ?? 'docs/report.png');
  screenshot(out, 1400, Number(process.argv[3] ?? 2000)).then(
    (size) => console.log(`${out}: ${(size / 1024).toFixed(0)} KiB`),
    (err: Error) => {
      console.error(err.message);
      process.exitCode = 1;
    },
  );
}
