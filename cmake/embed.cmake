# Turns a text file into a C string constant NAME (default kgr__ontology_ttl) and its length
# NAME_len.
if(NOT NAME)
  set(NAME kgr__ontology_ttl)
endif()
file(READ ${IN} content HEX)
string(LENGTH "${content}" n)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${content}")
math(EXPR len "${n} / 2")
file(WRITE ${OUT} "#include <stddef.h>\nconst unsigned char ${NAME}[] = {${bytes}0x00};\nconst size_t ${NAME}_len = ${len};\n")
