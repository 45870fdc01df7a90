// Pascal VOC conversion on a hand-made VOCdevkit tree, and the small XML reader behind it.
#include "qyolo/data/voc.h"

#include <gtest/gtest.h>

#include <fstream>
#include <opencv2/imgcodecs.hpp>
#include <sstream>

#include "qyolo/core/error.h"
#include "qyolo/data/data_yaml.h"
#include "qyolo/data/xml.h"
#include "support/test_support.h"

namespace qyolo::data {
namespace {
namespace fs = std::filesystem;

std::string read_text(const fs::path& path) {
  std::ifstream file(path);
  std::ostringstream text;
  text << file.rdbuf();
  return text.str();
}

std::string object(const std::string& name, int difficult, int x0, int y0, int x1, int y1) {
  std::ostringstream s;
  s << "  <object>\n    <name>" << name << "</name>\n    <pose>Unspecified</pose>\n"
    << "    <difficult>" << difficult << "</difficult>\n    <bndbox><xmin>" << x0 << "</xmin><ymin>"
    << y0 << "</ymin><xmax>" << x1 << "</xmax><ymax>" << y1 << "</ymax></bndbox>\n  </object>\n";
  return s.str();
}

void add_image(const fs::path& voc, const std::string& id, int w, int h,
               const std::string& objects) {
  fs::create_directories(voc / "JPEGImages");
  cv::imwrite((voc / "JPEGImages" / (id + ".jpg")).string(),
              cv::Mat(h, w, CV_8UC3, cv::Scalar(1, 2, 3)));
  test::write_text(voc / "Annotations" / (id + ".xml"),
                   "<?xml version=\"1.0\"?>\n<!-- hand made -->\n<annotation verified=\"no\">\n  "
                   "<folder>VOC</folder>\n"
                   "  <filename>" +
                       id + ".jpg</filename>\n  <size><width>" + std::to_string(w) +
                       "</width><height>" + std::to_string(h) +
                       "</height><depth>3</depth></size>\n" + objects + "</annotation>\n");
}

TEST(Voc, ConvertsAHandMadeTree) {
  const fs::path root = test::temp_dir("voc_tree");
  const fs::path voc2007 = root / "VOCdevkit/VOC2007", voc2012 = root / "VOCdevkit/VOC2012";
  add_image(voc2007, "000005", 500, 375,
            object("chair", 0, 263, 211, 324, 339) + object("chair", 1, 165, 264, 253, 372) +
                object("unicorn", 0, 1, 1, 10, 10));
  add_image(voc2007, "000007", 500, 333, object("car", 0, 141, 50, 500, 330));
  add_image(voc2012, "2008_000008", 500, 442,
            object("horse", 0, 53, 87, 471, 420) + object("person", 0, 158, 44, 289, 167));
  test::write_text(voc2007 / "ImageSets/Main/train.txt", "000005\n");
  test::write_text(voc2007 / "ImageSets/Main/test.txt", "000007\n");
  test::write_text(voc2012 / "ImageSets/Main/val.txt", "2008_000008\n");

  const fs::path out = test::temp_dir("voc_out");
  const VocSummary summary = convert_voc(root, out);
  EXPECT_EQ(summary.images, 3);
  EXPECT_EQ(summary.labels, 4);
  EXPECT_EQ(summary.difficult_skipped, 1);
  EXPECT_EQ(summary.splits, std::vector<std::string>({"val2012", "train2007", "test2007"}));
  EXPECT_TRUE(fs::exists(out / "images/train2007/000005.jpg"));
  // ultralytics convert_box: ((263 + 324) / 2 - 1) / 500, ((211 + 339) / 2 - 1) / 375, 61 / 500,
  // 128 / 375.
  EXPECT_EQ(read_text(out / "labels/train2007/000005.txt"), "8 0.585 0.730667 0.122 0.341333\n");
  EXPECT_EQ(read_text(out / "labels/val2012/2008_000008.txt").substr(0, 2), "12");

  const DataYaml yaml = load_data_yaml(summary.yaml);
  EXPECT_EQ(yaml.nc, 20);
  EXPECT_EQ(yaml.names[19], "tvmonitor");
  EXPECT_EQ(yaml.train, std::vector<fs::path>({out / "images/train2007", out / "images/val2012"}));
  EXPECT_EQ(yaml.val, std::vector<fs::path>({out / "images/test2007"}));
  EXPECT_EQ(yaml.test, yaml.val);
  EXPECT_NO_THROW(require_dataset(yaml));
}

TEST(Voc, MissingTreeAndBadAnnotationsAreErrors) {
  EXPECT_THROW(convert_voc(test::temp_dir("voc_empty"), test::temp_dir("voc_empty_out")), Error);
  const fs::path root = test::temp_dir("voc_bad");
  add_image(root / "VOC2007", "1", 50, 40, object("dog", 0, 1, 2, 30, 20));
  test::write_text(root / "VOC2007/Annotations/1.xml",
                   "<annotation><size><width>50</width></size>\n<object>\n</annotation>");
  test::write_text(root / "VOC2007/ImageSets/Main/train.txt", "1\n");
  try {
    convert_voc(root, test::temp_dir("voc_bad_out"));
    FAIL();
  } catch (const Error& e) {
    // The line of the element left open, and its name.
    EXPECT_NE(std::string(e.what()).find("1.xml:2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("object"), std::string::npos) << e.what();
  }
}

TEST(Xml, ParsesElementsTextAttributesEntitiesAndComments) {
  const XmlElement root = parse_xml(
      "<?xml version='1.0'?><!DOCTYPE x><a k=\"v &amp; w\"><!-- c --><b>  one &lt;2&gt; </b><b/>"
      "<c><![CDATA[<raw>]]></c>tail</a>",
      "t.xml");
  EXPECT_EQ(root.name, "a");
  EXPECT_EQ(root.attributes.at("k"), "v & w");
  EXPECT_EQ(root.child_text("b"), "one <2>");
  EXPECT_EQ(root.all("b").size(), 2u);
  EXPECT_EQ(root.child_text("c"), "<raw>");
  EXPECT_EQ(root.text, "tail");
  EXPECT_EQ(root.child_text("missing", "fallback"), "fallback");
  EXPECT_THROW(parse_xml("<a><b></a>", "t.xml"), Error);
  EXPECT_THROW(parse_xml("<a k=v></a>", "t.xml"), Error);
  EXPECT_THROW(parse_xml("", "t.xml"), Error);
  try {
    parse_xml("<a>\n<b>\n</c></a>", "t.xml");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("t.xml:2"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace qyolo::data
