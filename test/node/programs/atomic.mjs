// A real package that syncs: write-file-atomic writes a temporary file,
// fsyncs it and renames it into place (async and sync forms).
import writeFileAtomic from 'write-file-atomic';

const file = `${process.argv[2]}/state`;
const rounds = Number(process.argv[3] ?? 3);
async function save(i) {
  await writeFileAtomic(file, `state ${i}\n`);
}
for (let i = 0; i < rounds; i++) await save(i);
writeFileAtomic.sync(file, 'last\n');
console.log(JSON.stringify({ pid: process.pid, rounds }));
