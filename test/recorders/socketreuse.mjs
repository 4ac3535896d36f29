// Node reuses a closed file's descriptor number for a TCP socket: libuv
// closes files with a raw close the recorder does not see. The socket sends
// 1 MiB in 16 writes; then the file is opened again, 1 byte written and
// fsynced. The fsync made 1 byte in 1 write durable.
// usage: node socketreuse.mjs DIR   prints "fds file=N socket=M" and "done pid=P"
import fs from 'node:fs';
import net from 'node:net';

const file = `${process.argv[2]}/log.dat`;
const server = net.createServer((conn) => {
  let got = 0;
  conn.on('data', (b) => {
    got += b.length;
    if (got < 1 << 20) return;
    const fd = fs.openSync(file, 'a');
    fs.writeSync(fd, 'x');
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    console.log(`done pid=${process.pid}`);
    process.exit(0);
  });
});
server.listen(0, '127.0.0.1', () => {
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, 'hello');
  fs.closeSync(fd);
  const client = net.connect(server.address().port, '127.0.0.1', () => {
    console.log(`fds file=${fd} socket=${client._handle.fd}`);
    if (client._handle.fd !== fd) process.exit(99);
    for (let i = 0; i < 16; i++) client.write(Buffer.alloc(65536, 'y'));
  });
});
