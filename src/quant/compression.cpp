#include "qyolo/quant/compression.h"

#include <iomanip>
#include <sstream>

namespace qyolo::quant {

CompressionReport compression_report(std::vector<ConvCost> convs, int64_t other_params, int imgsz) {
  CompressionReport report;
  report.convs = std::move(convs);
  report.other_params = other_params;
  report.imgsz = imgsz;
  double weight_params = 0, weight_bits = 0, macs = 0, mac_bits = 0;
  for (const auto& conv : report.convs) {
    const double params = static_cast<double>(conv.weight_params);
    const double conv_macs = static_cast<double>(conv.macs);
    weight_params += params;
    weight_bits += params * conv.weight_bits;
    macs += conv_macs;
    mac_bits += conv_macs * conv.weight_bits;
    const bool fp = conv.weight_bits >= 32 && conv.act_bits >= 32;
    report.ops += fp ? conv_macs : conv_macs * conv.weight_bits * conv.act_bits / 64.0;
  }
  const double other_bits = 32.0 * static_cast<double>(other_params);
  report.conv_weight_bits = weight_bits;
  report.fp32_conv_weight_bits = 32.0 * weight_params;
  report.size_bits = weight_bits + other_bits;
  report.fp32_size_bits = report.fp32_conv_weight_bits + other_bits;
  report.fp32_ops = macs;
  report.average_weight_bits = weight_params > 0 ? weight_bits / weight_params : 0;
  report.mac_weighted_weight_bits = macs > 0 ? mac_bits / macs : 0;
  return report;
}

std::string CompressionReport::to_string() const {
  std::ostringstream out;
  size_t width = 4;
  for (const auto& conv : convs) width = std::max(width, conv.path.size());
  out << std::left << std::setw(width + 2) << "conv" << std::setw(7) << "layer" << std::setw(4)
      << "w" << std::setw(4) << "a" << std::right << std::setw(12) << "params" << std::setw(16)
      << "MACs" << '\n';
  for (const auto& conv : convs) {
    out << std::left << std::setw(width + 2) << conv.path << std::setw(7) << conv.layer
        << std::setw(4) << conv.weight_bits << std::setw(4) << conv.act_bits << std::right
        << std::setw(12) << conv.weight_params << std::setw(16) << conv.macs << '\n';
  }
  out << std::fixed << std::setprecision(3);
  out << "size: " << size_bits / 8e6 << " MB vs " << fp32_size_bits / 8e6 << " MB fp32 ("
      << size_ratio() << "x smaller; conv weights at their bits, " << other_params
      << " other params at 32 bits)\n";
  out << "conv weights only: " << conv_weight_bits / 8e6 << " MB vs " << fp32_conv_weight_bits / 8e6
      << " MB fp32 (" << conv_weight_size_ratio() << "x smaller)\n";
  out << "OPs @" << imgsz << ": " << ops / 1e9 << " G vs " << fp32_ops / 1e9 << " G fp32 ("
      << ops_ratio()
      << "x fewer; Bi-Real Net: MACs*bw*ba/64 for quantized convs, MACs for fp ones)\n";
  out << "average weight bits: " << average_weight_bits
      << ", MAC-weighted: " << mac_weighted_weight_bits << '\n';
  return out.str();
}

nlohmann::json CompressionReport::to_json() const {
  nlohmann::json rows = nlohmann::json::array();
  for (const auto& conv : convs) {
    rows.push_back({{"path", conv.path},
                    {"layer", conv.layer},
                    {"weight_params", conv.weight_params},
                    {"macs", conv.macs},
                    {"weight_bits", conv.weight_bits},
                    {"act_bits", conv.act_bits}});
  }
  return {{"imgsz", imgsz},
          {"convs", rows},
          {"other_params", other_params},
          {"size_bits", size_bits},
          {"fp32_size_bits", fp32_size_bits},
          {"size_ratio", size_ratio()},
          {"conv_weight_bits", conv_weight_bits},
          {"fp32_conv_weight_bits", fp32_conv_weight_bits},
          {"conv_weight_size_ratio", conv_weight_size_ratio()},
          {"ops", ops},
          {"fp32_ops", fp32_ops},
          {"ops_ratio", ops_ratio()},
          {"average_weight_bits", average_weight_bits},
          {"mac_weighted_weight_bits", mac_weighted_weight_bits}};
}

}  // namespace qyolo::quant
