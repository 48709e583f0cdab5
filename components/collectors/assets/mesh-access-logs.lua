local empty = { [''] = true, ['-'] = true }
function normalize_access_log(tag, timestamp, record)
  for _, format in ipairs(formats) do
    if record[format.marker] ~= nil then
      for _, rule in ipairs(format.rules) do
        local value = record[rule.source]
        if value ~= nil and not empty[tostring(value)] then
          if rule.scale ~= nil then value = tonumber(value) * rule.scale end
          if rule.numeric then value = tonumber(value) end
          if value ~= nil then record[rule.field] = value end
        elseif rule.field == rule.source then
          record[rule.field] = nil
        end
      end
      return 2, timestamp, record
    end
  end
  return 0, timestamp, record
end
