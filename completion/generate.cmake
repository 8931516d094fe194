# generate.cmake - writes the decoder's completion from its template with
# the request names the core knows (cmake -P, run at build time).
execute_process(COMMAND "${NAMES_PROGRAM}" OUTPUT_VARIABLE names RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NAMES_PROGRAM} failed: ${rc}")
endif()
string(STRIP "${names}" names)
string(REPLACE "\n" " " VHU_REQUEST_NAMES "${names}")
configure_file("${TEMPLATE}" "${OUTPUT}" @ONLY)
