# Turns a text file into a C string constant (kgr__ontology_ttl).
file(READ ${IN} content HEX)
string(LENGTH "${content}" n)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
math(EXPR len "${n} / 2")
file(WRITE ${OUT} "#include <stddef.h>\nconst unsigned char kgr__ontology_ttl[] = {${bytes}0x00};\nconst size_t kgr__ontology_ttl_len = ${len};\n")
