// Diagnostics for config files: one type for errors and warnings so the
// CLI can print `file:line:column: message` uniformly.

export type Severity = 'error' | 'warning';

export interface Diagnostic {
  severity: Severity;
  source: string;
  line: number;
  column: number;
  message: string;
  /** The offending text, when there is one. */
  near?: string;
  /** Config key the diagnostic is about, when known. */
  key?: string;
  /** A line the C xl prints as it is, without "warning: " (a warning that goes on, a note). */
  plain?: boolean;
}

export function formatDiagnostic(d: Diagnostic): string {
  const where = d.line > 0 ? `${d.source}:${d.line}:${d.column}` : d.source;
  const sev = d.severity === 'warning' && !d.plain ? 'warning: ' : '';
  // Messages in libxlu's own wording already say "near `X'".
  const near = d.near !== undefined && d.near !== '' && !d.message.includes(`near \`${d.near}'`) ? ` (near \`${d.near}')` : '';
  return `${where}: ${sev}${d.message}${near}`;
}

/** A config that cannot be used: the C xl exits 1 in these cases. */
export class ConfigError extends Error {
  readonly diagnostics: Diagnostic[];
  /** The C xl's exit status: 1 mostly, 3 for exit(-ERROR_FAIL), 6 for bad pci. */
  readonly exitCode: number;
  /** Warnings given before the failure (xl would print them too). */
  readonly warnings: Diagnostic[];
  constructor(diagnostics: Diagnostic[], exitCode = 1, warnings: Diagnostic[] = []) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'ConfigError';
    this.diagnostics = diagnostics;
    this.exitCode = exitCode;
    this.warnings = warnings;
  }
}

/** A config file that does not parse (libxlu's readfile failed): the C xl then says "Failed to parse config". */
export class ConfigSyntaxError extends ConfigError {}

/** Collects warnings while a config is turned into a domain config. */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  constructor(readonly source: string) {}

  warn(message: string, at?: { line: number; column: number }, extra: Partial<Diagnostic> = {}): void {
    this.diagnostics.push({
      severity: 'warning', source: this.source,
      line: at?.line ?? 0, column: at?.column ?? 0, message, ...extra,
    });
  }

  /** Stops processing, like the C xl's exit(1). */
  fail(message: string, at?: { line: number; column: number }, extra: Partial<Diagnostic> = {}, exitCode = 1): never {
    const d: Diagnostic = {
      severity: 'error', source: this.source,
      line: at?.line ?? 0, column: at?.column ?? 0, message, ...extra,
    };
    throw new ConfigError([d], exitCode, this.warnings);
  }

  get warnings(): Diagnostic[] {
    return this.diagnostics.filter((d) => d.severity === 'warning');
  }
}
