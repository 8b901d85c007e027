// xm's config files were Python; xl's are not. When a line fails to parse
// and looks like Python, say so instead of a bare syntax error.

const STATEMENT = /^\s*(import|from|if|elif|else|for|while|def|class|try|except|finally|with|return|print|del|pass|global)\b/;
const CALL = /[A-Za-z_][\w.]*\s*\(/;

/** A specific message when `lineText` looks like Python, else undefined. */
export function pythonHint(lineText: string, likelyPython: boolean): string | undefined {
  const text = lineText.trim();
  const stmt = STATEMENT.exec(lineText);
  let what: string | undefined;
  if (stmt) what = `a Python \`${stmt[1]}' statement`;
  else if (CALL.test(text) && !/^[a-z][._0-9a-z]*\s*\+?=\s*(["'])/.test(text)) what = 'a Python function call';
  else if (/=\s*("[^"]*"|'[^']*'|[\w.]+)\s*[*/%+-]\s*["'\w(]/.test(text) && !/^[a-z][._0-9a-z]*\s*\+=/.test(text)) what = 'Python arithmetic or string formatting';
  else if (likelyPython && /[()]|\w\.\w+\s*\(|%\s*\(/.test(text)) what = 'Python code';
  if (!what) return undefined;
  return `this line looks like ${what}: xl config files are not Python, only \`key = value' settings with quoted strings, numbers and [lists] (see xl.cfg(5))`;
}
