function present(v) { return v !== undefined && v !== null && v !== '' && v !== '-'; }
function decode(line, container) {
  var trimmed = String(line).replace(/^\s+|\s+$/g, '');
  var i, fmt, record, m, g;
  if (trimmed.charAt(0) === '{') {
    try { record = JSON.parse(trimmed); } catch (e) { return null; }
    for (i = 0; i < FORMATS.length; i++) {
      fmt = FORMATS[i];
      if (fmt.encoding !== 'json' || (container && fmt.container !== container)) continue;
      if (record[fmt.marker] !== undefined) return [fmt, record];
    }
    return null;
  }
  for (i = 0; i < FORMATS.length; i++) {
    fmt = FORMATS[i];
    if (!fmt.regex || (container && fmt.container !== container)) continue;
    m = new RegExp(fmt.regex).exec(trimmed);
    if (!m) continue;
    record = {};
    for (g = 0; g < fmt.groups.length; g++) { if (m[g + 1] !== undefined) record[fmt.groups[g]] = m[g + 1]; }
    return [fmt, record];
  }
  return null;
}
function canonical(fmt, record) {
  var out = {}, i, rule, value, m;
  for (i = 0; i < fmt.rules.length; i++) {
    rule = fmt.rules[i];
    value = record[rule.source];
    if (!present(value)) continue;
    if (rule.pattern) { m = new RegExp(rule.pattern).exec(String(value)); if (!m) continue; value = m[1]; }
    if (rule.scale) value = Number(value) * rule.scale;
    out[rule.field] = rule.numeric ? Number(value) : String(value);
  }
  return out;
}
function process(event) {
  var decoded = decode(event.Get('message'), event.Get('kubernetes.container.name'));
  if (!decoded) return;
  var fields = canonical(decoded[0], decoded[1]);
  for (var key in fields) { if (fields.hasOwnProperty(key)) event.Put(key, fields[key]); }
}
