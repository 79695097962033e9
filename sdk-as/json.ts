// JSON output helpers that produce exactly what Go's encoding/json produced for Fabric v0.6
// chaincode (Go 1.6/1.7): strings HTML-escaped (<, >, & as \u003c...), U+2028/2029 escaped,
// control characters as \u00XX except \n \r \t, and a nil []string as `null`.

const HEX = "0123456789abcdef";

/** A JSON string literal, as Go's json.Marshal(string) writes it. */
export function jsonQuote(s: string): string {
  let out = "\"";
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5C) out += "\\\\";
    else if (c == 0x0A) out += "\\n";
    else if (c == 0x0D) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c < 0x20 || c == 0x3C || c == 0x3E || c == 0x26) {
      out += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    } else if (c == 0x2028) out += "\\u2028";
    else if (c == 0x2029) out += "\\u2029";
    else if (c >= 0xD800 && c <= 0xDFFF) {
      // a valid surrogate pair passes through; a lone surrogate is invalid UTF-8 to Go: U+FFFD
      const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      if (c < 0xDC00 && next >= 0xDC00 && next <= 0xDFFF) {
        out += String.fromCharCode(c) + String.fromCharCode(next);
        i++;
      } else {
        out += "\\ufffd";
      }
    } else out += String.fromCharCode(c);
  }
  return out + "\"";
}

/** A JSON array of strings; null gives `null` (Go's nil slice), an empty array `[]`. */
export function jsonStringArray(values: Array<string> | null): string {
  if (values == null) return "null";
  let out = "[";
  for (let i = 0; i < values.length; i++) {
    if (i > 0) out += ",";
    out += jsonQuote(values[i]);
  }
  return out + "]";
}
