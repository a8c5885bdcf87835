# The lines of `--help` that describe the compile flags of CompileFlags.h
# (each flag and its `=value` lines), with runs of spaces folded to one so
# that tools whose columns are padded differently compare equal.
/^  [-][-]?[a-z0-9]/ {
  name = $1
  sub(/=.*/, "", name)
  keep = name ~ /^--(calibrate|calibrate-tokens|disable|f32-matmul|kv-type|no-threads|quant|quant-override|target-cpu|thread-runtime)$/
}
/^  [-][-]?[a-z0-9]/ || /^    =/ {
  if (keep) {
    line = $0
    gsub(/ +/, " ", line)
    sub(/^ /, "", line)
    print line
  }
}
