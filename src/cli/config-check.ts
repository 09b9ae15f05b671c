// `sipwarden config check`: the effective config with secrets masked, or every error in it.
import type { Argv } from 'yargs';
import { stringify } from 'yaml';
import { formatDuration } from '../config/duration.js';
import type { Config } from '../config/types.js';
import { loadContext } from './context.js';

interface CheckArgs {
  config?: string;
  json: boolean;
}

/** The config as a user writes it: durations as text, secrets replaced. */
export function presentableConfig(config: Config): Record<string, unknown> {
  const smtp = config.notifications.smtp;
  return {
    ...config,
    blocking: { ...config.blocking, dynamicBlockTime: formatDuration(config.blocking.dynamicBlockTime) },
    daemon: { ...config.daemon, reconcileInterval: formatDuration(config.daemon.reconcileInterval) },
    journal: { retention: formatDuration(config.journal.retention) },
    notifications: {
      ...config.notifications,
      smtp: smtp === null ? null : { ...smtp, password: smtp.password === null ? null : '********' },
    },
  };
}

export function configCommand(yargs: Argv): Argv {
  return yargs.command('config', 'Configuration commands', (y) =>
    y
      .command<CheckArgs>(
        'check',
        'Validate the config file and print the effective config (secrets masked)',
        (c) => c.option('json', { type: 'boolean', default: false }) as unknown as Argv<CheckArgs>,
        (args) => {
          const context = loadContext(args.config);
          const shown = presentableConfig(context.config);
          if (args.json) {
            process.stdout.write(`${JSON.stringify({ path: context.configPath, config: shown })}\n`);
            return;
          }
          const origin = context.configPath ?? 'built-in defaults (no config file)';
          process.stdout.write(`# ${origin}: valid\n${stringify(shown)}`);
        },
      )
      .demandCommand(1, 'name a config command: check'),
  );
}
