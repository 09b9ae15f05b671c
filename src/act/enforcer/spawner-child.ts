// The spawner's child: runs the firewall tools for the daemon, one request at a time as they come,
// over the IPC channel. It stays small, so starting a tool costs it a millisecond (see spawner.ts).
import { execaRunner } from './run.js';
import { isSpawnRequest, type SpawnReply } from './spawner-protocol.js';

process.on('message', (message: unknown) => {
  if (!isSpawnRequest(message)) return;
  void execaRunner(message.file, message.args, message.input ?? undefined).then((result) => {
    const reply: SpawnReply = { id: message.id, result };
    // The daemon may have gone meanwhile: nothing to tell.
    process.send?.(reply, () => undefined);
  });
});
// The daemon is gone: nothing is left to run for.
process.on('disconnect', () => process.exit(0));
