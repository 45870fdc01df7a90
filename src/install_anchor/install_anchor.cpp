// The one symbol of libqyolo_install_anchor.so. qyolo's own libraries are static and become part
// of whatever program links them, so nothing in them knows where qyolo is installed; this shared
// library stays in <prefix>/lib, and where the dynamic loader found it is where the installed
// files are (core/install_location.h).
extern "C" int qyolo_install_anchor() { return 0; }
