// Bytes of file names and label lines as text: UTF-8 validation and \xNN escaping.
#include "qyolo/data/byte_text.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace qyolo::data {
namespace {

TEST(ByteText, RecognisesWellFormedUtf8Only) {
  for (const std::string good : {"", "plain ascii", "caf\xc3\xa9", "\xe2\x82\xac 5",
                                 "\xf0\x9f\x98\x80", "\xed\x9f\xbf", "\xf4\x8f\xbf\xbf"}) {
    EXPECT_TRUE(is_utf8(good)) << escape_bytes(good);
    EXPECT_NO_THROW(nlohmann::json(good).dump()) << escape_bytes(good);
  }
  for (const std::string bad :
       {"caf\xe9", "\xff", "\xc3", "\xc0\xaf", "\xe0\x80\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80",
        "\xf8\x88\x80\x80\x80", "a\xe2\x82", "\x80"}) {
    EXPECT_FALSE(is_utf8(bad)) << escape_bytes(bad);
    EXPECT_THROW(nlohmann::json(bad).dump(), nlohmann::json::type_error) << escape_bytes(bad);
  }
}

TEST(ByteText, EscapesEveryByteOutsidePrintableAscii) {
  EXPECT_EQ(escape_bytes("0 0.5 0.5"), "0 0.5 0.5");
  EXPECT_EQ(escape_bytes("0 0.5\xff 1\t2\r"), "0 0.5\\xff 1\\x092\\x0d");
  EXPECT_EQ(escape_bytes(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_TRUE(is_utf8(escape_bytes("caf\xe9")));
}

}  // namespace
}  // namespace qyolo::data
