#include "qyolo/data/xml.h"

#include <tinyxml2.h>

#include <algorithm>
#include <cctype>

#include "qyolo/core/error.h"
#include "qyolo/core/read_file.h"

namespace qyolo::data {
namespace {

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

// "XML_ERROR_MISMATCHED_ELEMENT" -> "mismatched element".
std::string describe(tinyxml2::XMLError error) {
  std::string name = tinyxml2::XMLDocument::ErrorIDToName(error);
  const std::string prefix = "XML_ERROR_";
  if (name.compare(0, prefix.size(), prefix) == 0) name.erase(0, prefix.size());
  std::replace(name.begin(), name.end(), '_', ' ');
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return name;
}

XmlElement convert(const tinyxml2::XMLElement& node) {
  XmlElement e;
  e.name = node.Name();
  e.line = node.GetLineNum();
  for (const tinyxml2::XMLAttribute* a = node.FirstAttribute(); a != nullptr; a = a->Next()) {
    e.attributes[a->Name()] = a->Value();
  }
  std::string text;
  for (const tinyxml2::XMLNode* child = node.FirstChild(); child != nullptr;
       child = child->NextSibling()) {
    if (const tinyxml2::XMLElement* element = child->ToElement()) {
      e.children.push_back(convert(*element));
    } else if (const tinyxml2::XMLText* characters = child->ToText()) {
      text += characters->Value();  // CDATA sections are text nodes too
    }
  }
  e.text = trim(text);
  return e;
}

}  // namespace

const XmlElement* XmlElement::child(const std::string& child_name) const {
  for (const XmlElement& c : children) {
    if (c.name == child_name) return &c;
  }
  return nullptr;
}

std::string XmlElement::child_text(const std::string& child_name,
                                   const std::string& fallback) const {
  const XmlElement* c = child(child_name);
  return c != nullptr ? c->text : fallback;
}

std::vector<const XmlElement*> XmlElement::all(const std::string& child_name) const {
  std::vector<const XmlElement*> out;
  for (const XmlElement& c : children) {
    if (c.name == child_name) out.push_back(&c);
  }
  return out;
}

XmlElement parse_xml(const std::string& text, const std::string& source) {
  tinyxml2::XMLDocument document(/*processEntities=*/true, tinyxml2::PRESERVE_WHITESPACE);
  const tinyxml2::XMLError status = document.Parse(text.data(), text.size());
  if (status != tinyxml2::XML_SUCCESS) {
    // ErrorStr() ends with what tinyxml2 knows of the place, e.g. "XMLElement name=object".
    const std::string detail = document.ErrorStr();
    const size_t at = detail.find(": ");
    throw Error(SourceLocation{source, std::max(1, document.ErrorLineNum())},
                "malformed XML: " + describe(status) +
                    (at != std::string::npos ? " (" + detail.substr(at + 2) + ")" : ""));
  }
  const tinyxml2::XMLElement* root = document.RootElement();
  if (root == nullptr) throw Error(SourceLocation{source}, "malformed XML: no root element");
  return convert(*root);
}

XmlElement read_xml_file(const std::filesystem::path& path) {
  return parse_xml(read_file(path, "the XML file"), path.string());
}

}  // namespace qyolo::data
