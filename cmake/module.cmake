# barekit_module(NAME DEPS...): a library from every .cc in the folder except *_test.cc and
# *_main.cc, and a test binary (label "unit") from every *_test.cc beside them.
function(barekit_module name)
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc)
  list(FILTER srcs EXCLUDE REGEX "(_test|_main)\\.cc$")
  add_library(barekit_${name} STATIC ${srcs})
  target_include_directories(barekit_${name} PUBLIC ${CMAKE_SOURCE_DIR}/src)
  target_link_libraries(barekit_${name} PUBLIC ${ARGN})
  if(BAREKIT_TESTS AND tests)
    add_executable(${name}_test ${tests})
    target_link_libraries(${name}_test barekit_${name} GTest::gtest_main GTest::gmock)
    target_compile_definitions(${name}_test PRIVATE BAREKIT_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
    # gtest's ASSERT_*/EXPECT_* macros guard their own else; `if (x) EXPECT_TRUE(y);` is fine.
    target_compile_options(${name}_test PRIVATE -Wno-dangling-else)
    gtest_discover_tests(${name}_test PROPERTIES LABELS "${BAREKIT_UNIT_LABELS}" DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
