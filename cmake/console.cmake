# The web console of `kgrec serve` (console/, docs/CONSOLE.md): its files and the example
# queries are embedded into the server layer as a C table (cmake/embed_assets.cmake).
file(GLOB KGR_CONSOLE_FILES RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} CONFIGURE_DEPENDS
  ${CMAKE_CURRENT_SOURCE_DIR}/console/*.html ${CMAKE_CURRENT_SOURCE_DIR}/console/*.js
  ${CMAKE_CURRENT_SOURCE_DIR}/console/*.css ${CMAKE_CURRENT_SOURCE_DIR}/examples/queries/*.rq)
list(SORT KGR_CONSOLE_FILES)
set(KGR_CONSOLE_DEPS)
foreach(f ${KGR_CONSOLE_FILES})
  list(APPEND KGR_CONSOLE_DEPS ${CMAKE_CURRENT_SOURCE_DIR}/${f})
endforeach()
set(KGR_CONSOLE_C ${CMAKE_CURRENT_BINARY_DIR}/console_assets.c)
string(REPLACE ";" "\\;" KGR_CONSOLE_FILES_ARG "${KGR_CONSOLE_FILES}")
add_custom_command(
  OUTPUT ${KGR_CONSOLE_C}
  COMMAND ${CMAKE_COMMAND} -DOUT=${KGR_CONSOLE_C} -DROOT=${CMAKE_CURRENT_SOURCE_DIR}
          "-DFILES=${KGR_CONSOLE_FILES_ARG}" -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake
  DEPENDS ${KGR_CONSOLE_DEPS} ${CMAKE_CURRENT_SOURCE_DIR}/cmake/embed_assets.cmake
  COMMENT "Embedding the console's files")
