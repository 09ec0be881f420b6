#!/usr/bin/python3
"""Coefficients of the float32 erf kernel in src/Dendrite.Core/Tensor.Erf.cs.

Run as `/usr/bin/python3 tools/make_erf_coefficients.py`; it prints the C# array to paste there.

For 1 <= |x| < 4 the kernel computes erf|x| = 1 - exp(-x²) R(|x|) with R(a) = erfc(a) exp(a²), a smooth and
slowly varying function. R is fitted here by least squares at 4000 Chebyshev nodes of [1, 4], with a Chebyshev
series of degree 14 in u = (2a - 5) / 3, converted to powers of u for Horner's rule. The script also reports the
largest error of the fit on a dense grid, measured on erf itself (|exp(-a²) (R_fit - R)|): it is about 2e-11,
far below half an ulp of float32 near 1 (3e-8).
"""
import math

import numpy as np
from numpy.polynomial import chebyshev

LO, HI, DEGREE, NODES = 1.0, 4.0, 14, 4000


def r_exact(a):
    return math.erfc(a) * math.exp(a * a)


def main():
    k = np.arange(NODES)
    u = np.cos(np.pi * (k + 0.5) / NODES)
    a = (u * (HI - LO) + HI + LO) / 2
    c = chebyshev.chebfit(u, np.array([r_exact(v) for v in a]), DEGREE)
    powers = chebyshev.cheb2poly(c)

    grid = np.linspace(LO, HI, 300001)
    ug = (2 * grid - HI - LO) / (HI - LO)
    fit = np.zeros_like(ug)
    for coef in powers[::-1]:
        fit = fit * ug + coef
    err = np.max(np.abs(np.exp(-grid * grid) * (fit - np.array([r_exact(v) for v in grid]))))
    print(f"// erfc(a)·exp(a²) on [{LO}, {HI}], powers of u = (2a - 5) / 3 from u⁰ up "
          f"(largest error on erf: {err:.1e})")
    print("private static readonly double[] TailCoefficients =")
    print("[")
    for coef in powers:
        print(f"    {coef!r},")
    print("];")


if __name__ == "__main__":
    main()
