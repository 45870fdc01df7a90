// Files named by a flag (--weights, --resume): a missing file, a folder or an empty file is a
// usage error that names the flag and the file, before anything tries to read it (reading a
// folder as a file fails with libstdc++'s bare "basic_filebuf::underflow").
#pragma once

#include <string>

namespace qyolo {

void require_input_file(const std::string& path, const std::string& flag);

// require_input_file, then the .qyolo header: anything else is a usage error saying so.
void require_checkpoint_file(const std::string& path, const std::string& flag);

}  // namespace qyolo
