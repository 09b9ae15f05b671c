// Pure: what in a valid config is legal but dangerous or likely wrong (`config check` warns; --strict fails).
import type { Config } from './types.js';

export interface ConfigWarning {
  /** Key path, e.g. `allowlist` or `sources[0].path`. */
  key: string;
  message: string;
}

/** What the checks need to know about a file: probed by the caller (I/O stays at the edge). */
export interface PathProbe {
  exists(path: string): boolean;
  readable(path: string): boolean;
}

/**
 * Files every local user can write lines into through syslog (`logger -t asterisk ...`): a line there
 * may claim any program. The PBX's own log files (/var/log/asterisk/...) are not among them.
 */
const SHARED_SYSLOG = /^\/var\/log\/(?:syslog|messages|kern\.log|daemon\.log|user\.log|auth\.log|local\d\.log)(?:\.\d+)?$/;

export function configWarnings(config: Config, probe: PathProbe): ConfigWarning[] {
  const warnings: ConfigWarning[] = [];
  if (config.allowlist.length === 0) {
    warnings.push({
      key: 'allowlist',
      message:
        'empty: add the addresses of your SIP trunks, carriers and offices. UDP source addresses can be forged, so ' +
        'anyone can make sipwarden block any address for a while (forged scanner packets, forged floods); only the ' +
        'allowlist makes the addresses you depend on immune',
    });
  }
  config.allowlist.forEach((entry, i) => {
    if (entry.endsWith('/0')) warnings.push({ key: `allowlist[${i}]`, message: `${entry} exempts every address: nothing of that family will ever be blocked` });
  });
  const paths: Array<[string, string | null]> = [
    ['stateDir', config.stateDir],
    ['daemon.socket', config.daemon.socket],
    ['notifications.smtp.passwordFile', config.notifications.smtp?.passwordFile ?? null],
  ];
  config.sources.forEach((source, i) => {
    if ('path' in source && typeof source.path === 'string') paths.push([`sources[${i}].path`, source.path]);
  });
  for (const [key, path] of paths) {
    if (path !== null && !path.startsWith('/')) {
      warnings.push({ key, message: `"${path}" is relative: it is resolved against the daemon's working directory (/ under systemd); give an absolute path` });
    }
  }
  config.sources.forEach((source, i) => {
    if (!('path' in source) || typeof source.path !== 'string') return;
    const key = `sources[${i}].path`;
    if (!probe.exists(source.path))
      warnings.push({ key, message: `${source.path} does not exist (yet): the daemon waits for it, and sees nothing until it appears` });
    else if (!probe.readable(source.path)) warnings.push({ key, message: `${source.path} cannot be read: run the daemon as root, or fix its permissions` });
    if (SHARED_SYSLOG.test(source.path)) {
      warnings.push({
        key,
        message:
          `${source.path} is a shared syslog file: any local user can write lines into it that claim to come from ` +
          `the PBX or the kernel (logger -t asterisk ...). Prefer a journal source (trusted by journald's own fields) ` +
          `or a file only the PBX writes`,
      });
    }
  });
  return warnings;
}
