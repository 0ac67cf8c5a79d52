// Plain JavaScript, run directly by node like the compiled node is.
// The baseline: a bare Express app that parses a JSON body and echoes it back.
import express from 'express';

const app = express();
app.use(express.json({ limit: '64kb' }));
app.post('/echo', (req, res) => {
  res.status(201).json(req.body);
});
const server = app.listen(0, '127.0.0.1', () => {
  const address = server.address();
  console.log(`listening on http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
});
// Exit cleanly on SIGTERM so that `--cpu-prof` can write its profile.
process.on('SIGTERM', () => server.close(() => process.exit(0)));
