namespace Dendrite.IO;

// NonMaxSuppression(boxes [B, N, 4], scores [B, C, N], max_output_boxes_per_class?, iou_threshold?,
// score_threshold?) → selected_indices [K, 3] of (batch, class, box). For each batch and class: drop boxes scoring
// at or below score_threshold, then repeatedly keep the best remaining box (the lower index on a tie) and drop those
// overlapping it by IoU = |A ∩ B| / |A ∪ B| above iou_threshold, until max_output_boxes_per_class are kept.
// Boxes are corners [y1, x1, y2, x2] in either order (center_point_box 0) or [x_center, y_center, w, h] (1).
internal static partial class OnnxOps
{
    private static void AddDetection(Dictionary<string, Func<OnnxNode, Tensor[]>> t)
    {
        t["NonMaxSuppression"] = One(NonMaxSuppression);
    }

    private static Tensor NonMaxSuppression(OnnxNode n)
    {
        var boxes = n.In(0);
        var scores = n.In(1);
        if (boxes.Rank != 3 || boxes.Shape[2] != 4 || scores.Rank != 3 || scores.Shape[0] != boxes.Shape[0]
            || scores.Shape[2] != boxes.Shape[1])
            throw n.Error($"boxes {Shapes.Format(boxes.Shape)} must be [B, N, 4] and scores "
                + $"{Shapes.Format(scores.Shape)} [B, C, N]");
        long maxPerClass = n.Opt(2) is { Numel: > 0 } ? (long)n.Scalar(2) : 0;
        double iouThreshold = n.Opt(3) is { Numel: > 0 } ? n.Scalar(3) : 0;
        double? scoreThreshold = n.Opt(4) is { Numel: > 0 } ? n.Scalar(4) : null;
        long centerBox = n.Int("center_point_box", 0);
        if (centerBox is not (0 or 1)) throw n.Error($"attribute center_point_box {centerBox} is not 0 or 1");
        if (!(iouThreshold >= 0 && iouThreshold <= 1))
            throw n.Error($"iou_threshold {iouThreshold} is outside [0, 1]");
        int batches = boxes.Shape[0], count = boxes.Shape[1], classes = scores.Shape[1];
        var corners = Corners(boxes.ToArray<double>(), centerBox == 1);
        var s = scores.ToArray<double>();
        var selected = new List<long>();
        var order = new List<int>();
        for (int b = 0; b < batches; b++)
        {
            for (int c = 0; c < classes; c++)
            {
                int row = (b * classes + c) * count;
                order.Clear();
                for (int i = 0; i < count; i++)
                {
                    if (scoreThreshold is not { } st || s[row + i] > st) order.Add(i);
                }
                order.Sort((i, j) => s[row + j].CompareTo(s[row + i]) is var cmp && cmp != 0 ? cmp : i.CompareTo(j));
                var kept = new List<int>();
                foreach (int i in order)
                {
                    if (kept.Count >= maxPerClass) break;
                    bool overlaps = false;
                    foreach (int k in kept)
                    {
                        if (Iou(corners, b * count + i, b * count + k) > iouThreshold)
                        {
                            overlaps = true;
                            break;
                        }
                    }
                    if (overlaps) continue;
                    kept.Add(i);
                    selected.AddRange([b, c, i]);
                }
            }
        }
        return Tensor.From(selected.ToArray(), selected.Count / 3, 3);
    }

    /// <summary>Boxes as (y_min, x_min, y_max, x_max), four values per box.</summary>
    private static double[] Corners(double[] v, bool centered)
    {
        var r = new double[v.Length];
        for (int i = 0; i < v.Length; i += 4)
        {
            if (centered)
            {
                double xc = v[i], yc = v[i + 1], w = v[i + 2], h = v[i + 3];
                (r[i], r[i + 1], r[i + 2], r[i + 3]) = (yc - h / 2, xc - w / 2, yc + h / 2, xc + w / 2);
            }
            else
            {
                (r[i], r[i + 1]) = (Math.Min(v[i], v[i + 2]), Math.Min(v[i + 1], v[i + 3]));
                (r[i + 2], r[i + 3]) = (Math.Max(v[i], v[i + 2]), Math.Max(v[i + 1], v[i + 3]));
            }
        }
        return r;
    }

    private static double Iou(double[] c, int a, int b)
    {
        a *= 4;
        b *= 4;
        double h = Math.Min(c[a + 2], c[b + 2]) - Math.Max(c[a], c[b]);
        double w = Math.Min(c[a + 3], c[b + 3]) - Math.Max(c[a + 1], c[b + 1]);
        if (h <= 0 || w <= 0) return 0;
        double inter = h * w;
        double areaA = (c[a + 2] - c[a]) * (c[a + 3] - c[a + 1]), areaB = (c[b + 2] - c[b]) * (c[b + 3] - c[b + 1]);
        double union = areaA + areaB - inter;
        return union <= 0 ? 0 : inter / union;
    }
}
