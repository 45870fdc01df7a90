// XML annotation files (Pascal VOC) read with tinyxml2 into a plain tree of elements, text and
// attributes, each element with its line for error messages.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace qyolo::data {

struct XmlElement {
  std::string name;
  std::map<std::string, std::string> attributes;
  std::string text;  // concatenated character data directly inside this element, trimmed
  std::vector<XmlElement> children;
  int line = 0;  // line of the start tag

  // The first child called `name`, or nullptr.
  const XmlElement* child(const std::string& name) const;
  // Text of the first child called `name`, or `fallback` when there is none.
  std::string child_text(const std::string& name, const std::string& fallback = {}) const;
  // All children called `name`.
  std::vector<const XmlElement*> all(const std::string& name) const;
};

// Parses a document and returns its root element. Throws qyolo::Error naming `source` and the
// line for malformed markup (unclosed or mismatched tags, bad entities, no root element).
XmlElement parse_xml(const std::string& text, const std::string& source);
XmlElement read_xml_file(const std::filesystem::path& path);

}  // namespace qyolo::data
