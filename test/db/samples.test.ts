// The bundled samples (samples/README.md) are real recordings: expect their verdicts to
// tell the stories the README gives, with every call of the short runs judged.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PARAMS } from '../../src/db/params.js';
import { analysisBindings, readIncidents, readJudgement } from '../../src/db/outliers.js';
import { Session } from '../../src/db/session.js';

const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));

async function verdicts(name: string) {
  const session = await Session.open({ inputs: [SAMPLES + name], quiet: true, warn: () => undefined });
  try {
    const b = await analysisBindings(session, DEFAULT_PARAMS);
    const incidents = await readIncidents(session, b);
    const j = await readJudgement(session, b);
    return { incidents: incidents.map((i) => [i.scope, i.cause, i.outliers, i.activeProcesses, i.programs]), judged: j.judged, unjudged: j.unjudged };
  } finally {
    session.close();
  }
}

test('sqlite-slow: one program slow on its three files at once, every call judged', async () => {
  assert.equal(await verdicts('sqlite-slow.fstrace'), { incidents: [['process', 'slow', 48, 1, ['sqlite3']]], judged: 3040, unjudged: 0 });
});

test('sqlite-wal: the injected stretch and one real slow commit, each of one file', async () => {
  assert.equal(await verdicts('sqlite-wal.fstrace'), {
    incidents: [['file', 'slow', 1, 1, ['sqlite3']], ['file', 'slow', 30, 1, ['sqlite3']]], judged: 1604, unjudged: 3,
  });
});

test('zookeeper: 402 syncs in 0.85 s, all judged from the first; one real slow call', async () => {
  assert.equal(await verdicts('zookeeper.fstrace'), { incidents: [['file', 'slow', 1, 1, ['java']]], judged: 402, unjudged: 0 });
});

test('pgbench: the WAL segments are one family; three backends slow on it at once; the checkpoint\'s burst judged against itself', async () => {
  // The checkpointer syncs the data files under base/ once each, all within 0.25 s: 197 of
  // them are judged against the rest of their burst; 13 syncs of files outside any burst are not.
  assert.equal(await verdicts('pgbench'), { incidents: [['file', 'slow', 3, 4, ['postgres']]], judged: 2025, unjudged: 13 });
});

test.run();
