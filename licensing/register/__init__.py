"""The public register of licensing decisions (行政许可决定公开, 行政许可法 第四十条)."""
