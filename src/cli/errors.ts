// CLI-side errors. XlError (src/libxl) is "xl: <message>"; Exit is for the
// places where the C xl prints its own exact text (or nothing) and exits.
import { XlError } from '../libxl/errors.js';

export { XlError };

/** End the run with `exitCode`, writing `stderr` verbatim (no "xl: "). */
export class Exit extends XlError {
  constructor(
    exitCode: number,
    readonly stderr = '',
  ) {
    super(stderr.trimEnd() || `exit status ${exitCode}`, exitCode);
    this.name = 'Exit';
  }
}
