// The one error type the CLI knows how to report. Lower layers cannot import
// src/cli, so this lives here; they may throw it or mirror its shape (any
// error with a numeric `exitCode` is reported the same way).

/** A failure with the process exit status xl should end with. */
export class XlError extends Error {
  readonly exitCode: number;

  constructor(message: string, exitCode = 1, options?: ErrorOptions) {
    super(message, options);
    this.name = 'XlError';
    this.exitCode = exitCode;
  }
}

/** libxl__logv's "Domain N:" prefix, which it gives only guest domids (1..DOMID_FIRST_RESERVED-1), not dom0. */
export const domainLogPrefix = (domid: number): string => (domid > 0 && domid < 0x7ff0 ? `Domain ${domid}:` : '');
