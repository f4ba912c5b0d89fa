# Compiles the console's files (HTML, JS, CSS) and the example queries into one C table,
# kgr__console_assets (server/console_assets.h), so `kgrec serve` needs no files at run time.
# -DOUT=file.c -DROOT=source dir -DFILES="console/index.html;examples/queries/x.rq;..."
set(body "#include \"server/console_assets.h\"\n")
set(table "")
set(i 0)
foreach(rel ${FILES})
  file(READ ${ROOT}/${rel} content HEX)
  string(LENGTH "${content}" n)
  math(EXPR len "${n} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
  string(APPEND body "static const unsigned char a${i}[] = {${bytes}0x00};\n")
  string(APPEND table "\t{ \"${rel}\", a${i}, ${len} },\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "const kgr__asset kgr__console_assets[] = {\n${table}};\n")
string(APPEND body "const size_t kgr__console_asset_count = ${i};\n")
file(WRITE ${OUT}.tmp "${body}")
file(COPY_FILE ${OUT}.tmp ${OUT} ONLY_IF_DIFFERENT)
