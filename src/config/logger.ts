import { ConsoleLogger, type LogLevel } from '@nestjs/common';
import { LOG_LEVELS, type AppConfig } from './config.js';

/**
 * The service's logger, from LOG_LEVEL and LOG_FORMAT: the chosen level and every more severe one;
 * `text` is Nest's line format, coloured only when stdout is a terminal (and NO_COLOR is unset);
 * `json` is one JSON object per line (level, pid, timestamp, context, message) for log collectors.
 */
export function serviceLogger(log: AppConfig['log'], stream: { isTTY?: boolean } = process.stdout): ConsoleLogger {
  const json = log.format === 'json';
  return new ConsoleLogger({
    logLevels: enabledLevels(log.level),
    json,
    colors: !json && stream.isTTY === true && !process.env.NO_COLOR,
  });
}

/** LOG_LEVEL=warn → fatal, error, warn; LOG_LEVEL=debug → ... log, debug. */
export function enabledLevels(level: AppConfig['log']['level']): LogLevel[] {
  return ['fatal', ...LOG_LEVELS.slice(0, LOG_LEVELS.indexOf(level) + 1)];
}
