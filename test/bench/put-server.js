// The upload baseline: a bare Node server in its own process that streams a PUT body to a file.
import { createWriteStream } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';

const dir = process.argv[2];
let n = 0;
const server = createServer(async (req, res) => {
  await pipeline(req, createWriteStream(join(dir, `put-${process.pid}-${n++}`)));
  res.writeHead(201).end();
});
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
