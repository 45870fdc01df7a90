# install() rules and a CMake package so other projects can find_package(qyolo).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

install(TARGETS qyolo ${QYOLO_MODULES} qyolo_install_anchor EXPORT qyoloTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS qyolo_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/qyolo DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY configs/ DESTINATION ${CMAKE_INSTALL_DATADIR}/qyolo/configs)
install(EXPORT qyoloTargets NAMESPACE qyolo:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/qyolo)

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/qyoloConfig.cmake.in
  ${PROJECT_BINARY_DIR}/qyoloConfig.cmake INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/qyolo)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/qyoloConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/qyoloConfig.cmake ${PROJECT_BINARY_DIR}/qyoloConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/qyolo)
