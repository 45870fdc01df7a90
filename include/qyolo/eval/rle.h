// Run-length encoded binary masks with the semantics of the COCO mask API (pycocotools' maskApi):
// column-major runs starting with zeros, polygon rasterisation, merge, area, bounding box, IoU
// (crowd regions count against the detection's area only) and the compact string form.
#pragma once

#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace qyolo::eval {

struct Rle {
  int64_t h = 0, w = 0;
  // Alternating run lengths of 0s and 1s over the column-major (x outer, y inner) pixels.
  std::vector<uint32_t> counts;
};

// Encodes a (h,w) mask (any dtype; nonzero = on), row-major as torch stores it.
Rle rle_encode(const torch::Tensor& mask);
// Decodes to a (h,w) uint8 mask.
torch::Tensor rle_decode(const Rle& rle);

// Rasterises a polygon [x0,y0,x1,y1,...] in pixel coordinates exactly as maskApi's rleFrPoly.
Rle rle_from_polygon(const std::vector<double>& xy, int64_t h, int64_t w);
// A box [x,y,w,h] as a 4-point polygon.
Rle rle_from_bbox(const std::array<double, 4>& xywh, int64_t h, int64_t w);
// Union (or intersection) of masks of one size; differing sizes give an empty 0x0 mask.
Rle rle_merge(const std::vector<Rle>& rles, bool intersect = false);

uint32_t rle_area(const Rle& rle);
// Tight [x,y,w,h] box of the mask (zeros when empty).
std::array<double, 4> rle_to_bbox(const Rle& rle);

// COCO's compressed "counts" string (LEB128-like, 6 bits per character) and back.
std::string rle_to_string(const Rle& rle);
Rle rle_from_string(const std::string& counts, int64_t h, int64_t w);

// IoU of COCO [x,y,w,h] boxes; out is (dt.size(), gt.size()) row-major. For crowd gts the union
// is the detection's area.
void coco_box_iou(const std::vector<std::array<double, 4>>& dt,
                  const std::vector<std::array<double, 4>>& gt, const std::vector<uint8_t>& iscrowd,
                  double* out);
// Mask IoU with the same crowd rule; -1 where the sizes differ.
void coco_mask_iou(const std::vector<const Rle*>& dt, const std::vector<const Rle*>& gt,
                   const std::vector<uint8_t>& iscrowd, double* out);

}  // namespace qyolo::eval
