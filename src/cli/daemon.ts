// `sipwarden daemon`: run the service in the foreground (systemd runs it so) until a signal stops it.
import type { Argv } from 'yargs';
import { DaemonLog, type LogFormat } from '../daemon/log.js';
import { systemClock } from '../model/clock.js';

interface DaemonArgs {
  config?: string;
  foreground: boolean;
  'log-format': LogFormat;
  'teardown-on-exit': boolean;
}

export function daemonCommand(yargs: Argv): Argv {
  return yargs.command<DaemonArgs>(
    'daemon',
    'Run the daemon: follow the sources, decide, enforce in the kernel, serve the control socket',
    (y) =>
      y
        .option('foreground', { type: 'boolean', default: true, describe: 'stay in the foreground (the only mode; systemd supervises it)' })
        .option('log-format', { choices: ['text', 'json'] as const, default: 'text' as const, describe: 'the daemon log on stderr' })
        .option('teardown-on-exit', { type: 'boolean', default: false, describe: 'remove the kernel table when stopping' }) as unknown as Argv<DaemonArgs>,
    async (args) => {
      const log = new DaemonLog(args['log-format']);
      const { Daemon } = await import('../daemon/daemon.js');
      const daemon = new Daemon({ configPath: args.config, log, clock: systemClock, teardownOnExit: args['teardown-on-exit'] });
      await daemon.start();
      await new Promise<void>((resolve) => {
        const stop = (signal: string): void => {
          log.info(`${signal}: stopping`);
          daemon.stop().then(resolve, (error: unknown) => {
            log.error(`stop: ${(error as Error).message}`);
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
        process.on('SIGHUP', () => {
          log.info('SIGHUP: reloading the config');
          void daemon.reload();
        });
      });
      process.exitCode = 0;
    },
  );
}
