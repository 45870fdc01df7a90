#include "qyolo/data/xml.h"

#include <cctype>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "qyolo/core/error.h"

namespace qyolo::data {
namespace {

std::string trim(const std::string& s) {
  const size_t begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return {};
  return s.substr(begin, s.find_last_not_of(" \t\r\n") - begin + 1);
}

class Parser {
 public:
  Parser(const std::string& text, std::string source) : s_(text), source_(std::move(source)) {}

  XmlElement document() {
    skip_misc();
    if (pos_ >= s_.size() || s_[pos_] != '<') fail("no root element");
    XmlElement root = element();
    skip_misc();
    if (pos_ < s_.size()) fail("content after the root element");
    return root;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(SourceLocation{source_, line_}, "malformed XML: " + what);
  }

  void advance(size_t n) {
    for (size_t i = 0; i < n && pos_ < s_.size(); ++i) {
      if (s_[pos_++] == '\n') ++line_;
    }
  }

  bool starts(const char* prefix) const {
    return s_.compare(pos_, std::strlen(prefix), prefix) == 0;
  }

  void skip_until(const char* end) {
    const size_t at = s_.find(end, pos_);
    if (at == std::string::npos) fail(std::string("missing '") + end + "'");
    advance(at + std::strlen(end) - pos_);
  }

  // Whitespace, comments, processing instructions and a doctype between elements.
  void skip_misc() {
    for (;;) {
      while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) advance(1);
      if (starts("<?")) {
        skip_until("?>");
      } else if (starts("<!--")) {
        skip_until("-->");
      } else if (starts("<!DOCTYPE")) {
        skip_until(">");
      } else {
        return;
      }
    }
  }

  std::string name() {
    const size_t begin = pos_;
    while (pos_ < s_.size() && !std::isspace(static_cast<unsigned char>(s_[pos_])) &&
           s_[pos_] != '>' && s_[pos_] != '/' && s_[pos_] != '=') {
      advance(1);
    }
    if (pos_ == begin) fail("expected a name");
    return s_.substr(begin, pos_ - begin);
  }

  std::string decode(const std::string& raw) {
    std::string out;
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '&') {
        out += raw[i];
        continue;
      }
      const size_t end = raw.find(';', i);
      if (end == std::string::npos) fail("unterminated entity");
      const std::string entity = raw.substr(i + 1, end - i - 1);
      if (entity == "amp")
        out += '&';
      else if (entity == "lt")
        out += '<';
      else if (entity == "gt")
        out += '>';
      else if (entity == "quot")
        out += '"';
      else if (entity == "apos")
        out += '\'';
      else if (!entity.empty() && entity[0] == '#') {
        const long code = entity.size() > 1 && (entity[1] == 'x' || entity[1] == 'X')
                              ? std::strtol(entity.c_str() + 2, nullptr, 16)
                              : std::strtol(entity.c_str() + 1, nullptr, 10);
        if (code <= 0 || code > 0x7f)
          fail("only ASCII character references are supported: &" + entity + ";");
        out += static_cast<char>(code);
      } else {
        fail("unknown entity &" + entity + ";");
      }
      i = end;
    }
    return out;
  }

  XmlElement element() {
    XmlElement e;
    e.line = line_;
    advance(1);  // '<'
    e.name = name();
    for (;;) {
      while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) advance(1);
      if (pos_ >= s_.size()) fail("unclosed start tag <" + e.name + ">");
      if (starts("/>")) {
        advance(2);
        return e;
      }
      if (s_[pos_] == '>') {
        advance(1);
        break;
      }
      const std::string key = name();
      if (pos_ >= s_.size() || s_[pos_] != '=') fail("attribute " + key + " without a value");
      advance(1);
      const char quote = pos_ < s_.size() ? s_[pos_] : '\0';
      if (quote != '"' && quote != '\'') fail("attribute " + key + " value is not quoted");
      advance(1);
      const size_t end = s_.find(quote, pos_);
      if (end == std::string::npos) fail("unterminated attribute " + key);
      e.attributes[key] = decode(s_.substr(pos_, end - pos_));
      advance(end + 1 - pos_);
    }
    std::string text;
    for (;;) {
      if (pos_ >= s_.size())
        fail("element <" + e.name + "> opened on line " + std::to_string(e.line) +
             " is never closed");
      if (starts("</")) {
        advance(2);
        const std::string closing = name();
        if (closing != e.name)
          fail("</" + closing + "> closes <" + e.name + "> opened on line " +
               std::to_string(e.line));
        while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) advance(1);
        if (pos_ >= s_.size() || s_[pos_] != '>') fail("unterminated end tag </" + closing);
        advance(1);
        e.text = trim(decode(text));
        return e;
      }
      if (starts("<!--")) {
        skip_until("-->");
      } else if (starts("<![CDATA[")) {
        advance(9);
        const size_t end = s_.find("]]>", pos_);
        if (end == std::string::npos) fail("unterminated CDATA section");
        text += s_.substr(pos_, end - pos_);
        advance(end + 3 - pos_);
      } else if (s_[pos_] == '<') {
        e.children.push_back(element());
      } else {
        text += s_[pos_];
        advance(1);
      }
    }
  }

  const std::string& s_;
  std::string source_;
  size_t pos_ = 0;
  int line_ = 1;
};

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
  return Parser(text, source).document();
}

XmlElement read_xml_file(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw Error(SourceLocation{path.string()}, "cannot open the XML file");
  std::ostringstream text;
  text << file.rdbuf();
  return parse_xml(text.str(), path.string());
}

}  // namespace qyolo::data
