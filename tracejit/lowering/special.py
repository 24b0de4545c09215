"""Scalar kernels for the special-function primitives of ops/special.py, in Numba.

Generated loops call them per element as `kernels.digamma(x)` (tracejit/lowering/kernels.py
re-exports them, so codegen imports them with the other helpers). Each takes and returns
float64 scalars (float32 operands are widened; the store rounds), is compiled once per
machine (`cache=True`) and follows scipy.special at its edges (poles, 0, inf, NaN).
The interpreter runs scipy.special itself (the primitives' impls), so the law tests
check these kernels against SciPy. Methods:

- digamma: recurrence up to x >= 10, then the asymptotic series; reflection for x < 0.
- zeta(x, q) (Hurwitz): Euler-Maclaurin summation, as Cephes' zeta.c (what SciPy runs).
- polygamma(n, x) = (-1)^(n+1) n! zeta(n+1, x); digamma for n = 0.
- igamma / igammac (regularized incomplete gamma P, Q): the power series for P where
  x <= max(1, a), Legendre's continued fraction for Q elsewhere (Cephes' igam.c), the
  other one as the complement; igamma_grad_a is dP/da, the same recurrences carried
  with their derivatives in a (forward mode by hand).
- i0e, i1e: Chebyshev expansions on [0, 8] and in 16/x on [8, inf), fitted to mpmath's
  besseli (40 digits, Chebyshev nodes; coefficients below 1e-18 dropped).
- ndtri: a rational first guess (Abramowitz & Stegun 26.2.23, error < 4.5e-4) refined by
  Halley steps on erfc, which keeps relative accuracy far into the lower tail.
- betainc (regularized incomplete beta): the continued fraction evaluated by modified
  Lentz (Numerical Recipes 6.4), on the side of the mean where it converges fast.
"""

import math

import numba

__all__ = [
    "betainc",
    "digamma",
    "i0e",
    "i1e",
    "igamma",
    "igamma_grad_a",
    "igammac",
    "ndtri",
    "polygamma",
    "zeta",
]

_jit = numba.njit(cache=True, error_model="numpy", nogil=True)

_EPS = 2.220446049250313e-16  # float64 machine epsilon
_BIG = 4.503599627370496e15  # continued fractions rescale past this
_SQRT2 = math.sqrt(2.0)
_SQRT2PI = math.sqrt(2.0 * math.pi)

_I0E_SMALL = (
    -4.4153416464793395e-18,
    3.3307945188222384e-17,
    -2.431279846547955e-16,
    1.715391285555133e-15,
    -1.1685332877993451e-14,
    7.676185498604936e-14,
    -4.856446783111929e-13,
    2.95505266312964e-12,
    -1.726826291441556e-11,
    9.675809035373237e-11,
    -5.189795601635263e-10,
    2.6598237246823866e-09,
    -1.300025009986248e-08,
    6.046995022541919e-08,
    -2.670793853940612e-07,
    1.1173875391201037e-06,
    -4.4167383584587505e-06,
    1.6448448070728896e-05,
    -5.754195010082104e-05,
    0.00018850288509584165,
    -0.0005763755745385824,
    0.0016394756169413357,
    -0.004324309995050576,
    0.010546460394594998,
    -0.02373741480589947,
    0.04930528423967071,
    -0.09490109704804764,
    0.17162090152220877,
    -0.3046826723431984,
    0.33839763720473803,
)
_I1E_SMALL = (
    2.7779141127610464e-18,
    -2.111421214358166e-17,
    1.5536319577362005e-16,
    -1.1055969477353862e-15,
    7.600684294735408e-15,
    -5.042185504727912e-14,
    3.223793365945575e-13,
    -1.9839743977649436e-12,
    1.1736186298890901e-11,
    -6.663489723502027e-11,
    3.625590281552117e-10,
    -1.8872497517228294e-09,
    9.381537386495773e-09,
    -4.445059128796328e-08,
    2.0032947535521353e-07,
    -8.568720264695455e-07,
    3.4702513081376785e-06,
    -1.3273163656039436e-05,
    4.781565107550054e-05,
    -0.00016176081582589674,
    0.0005122859561685758,
    -0.0015135724506312532,
    0.004156422944312888,
    -0.010564084894626197,
    0.024726449030626516,
    -0.05294598120809499,
    0.1026436586898471,
    -0.17641651835783406,
    0.12629359322181682,
)
_I0E_LARGE = (
    1.1936508906768917e-18,
    9.921475411975413e-19,
    -7.23318048782158e-18,
    -4.8305044859622155e-18,
    4.4656214202961385e-17,
    3.4612228676982304e-17,
    -2.827623980516602e-16,
    -3.4254856196772313e-16,
    1.7725601330565275e-15,
    3.8116806693526224e-15,
    -9.554846698828307e-15,
    -4.150569347287222e-14,
    1.54008621752141e-14,
    3.8527783827421426e-13,
    7.180124451383666e-13,
    -1.7941785315068062e-12,
    -1.3215811840447713e-11,
    -3.1499165279632416e-11,
    1.1889147107846439e-11,
    4.94060238822497e-10,
    3.3962320257083865e-09,
    2.266668990498178e-08,
    2.0489185894690638e-07,
    2.8913705208347567e-06,
    6.889758346916825e-05,
    0.0033691164782556943,
    0.4022452055070544,
)
_I1E_LARGE = (
    -1.242193275025598e-18,
    -9.314178867104593e-19,
    7.517296310787859e-18,
    4.414348323089579e-18,
    -4.6503053684887017e-17,
    -3.2095259219942046e-17,
    2.9626289976459683e-16,
    3.3082023109209413e-16,
    -1.8803547755107837e-15,
    -3.8144030724370075e-15,
    1.0420276984128804e-14,
    4.272440016711951e-14,
    -2.1015418427726643e-14,
    -4.0835511110921974e-13,
    -7.198551776245908e-13,
    2.0356285441470896e-12,
    1.4125807436613782e-11,
    3.2526035830154884e-11,
    -1.8974958123505413e-11,
    -5.589743462196584e-10,
    -3.835380385964237e-09,
    -2.6314688468895196e-08,
    -2.512236237870209e-07,
    -3.882564808877691e-06,
    -0.00011058893876262371,
    -0.009761097491361469,
    0.38928811750914005,
)


@_jit
def _chebyshev(coeffs, t):
    """Σ c_k T_k(t) by Clenshaw's recurrence; coeffs from the highest degree down."""
    b0 = 0.0
    b1 = 0.0
    for c in coeffs:
        b0, b1 = c + 2.0 * t * b0 - b1, b0
    return b0 - t * b1


@_jit
def i0e(x):
    """exp(-|x|) I0(x)."""
    a = abs(x)
    if a <= 8.0:
        return _chebyshev(_I0E_SMALL, 0.25 * a - 1.0)
    return _chebyshev(_I0E_LARGE, 16.0 / a - 1.0) / math.sqrt(a)


@_jit
def i1e(x):
    """exp(-|x|) I1(x) (odd in x)."""
    a = abs(x)
    if a <= 8.0:
        return _chebyshev(_I1E_SMALL, 0.25 * a - 1.0) * x
    return math.copysign(_chebyshev(_I1E_LARGE, 16.0 / a - 1.0) / math.sqrt(a), x)


# ---------------------------------------------------------------------------
# digamma, zeta, polygamma


@_jit
def _digamma_pos(x):
    s = 0.0
    while x < 10.0:
        s -= 1.0 / x
        x += 1.0
    y = 1.0 / (x * x)
    # Bernoulli numbers B_2k / 2k: 1/12, 1/120, 1/252, 1/240, 1/132, 691/32760, 1/12
    tail = y * (
        1.0 / 12
        - y
        * (
            1.0 / 120
            - y * (1.0 / 252 - y * (1.0 / 240 - y * (1.0 / 132 - y * (691.0 / 32760 - y / 12))))
        )
    )
    return s + math.log(x) - 0.5 / x - tail


@_jit
def digamma(x):
    if math.isnan(x) or x == math.inf:
        return x
    if x <= 0.0:
        if x == 0.0:
            return -math.copysign(math.inf, x)  # SciPy: psi(+0) = -inf, psi(-0) = +inf
        if x == math.floor(x):
            return math.nan
        # reflection; tan has period pi, so reduce first: x - floor(x) is exact
        return _digamma_pos(1.0 - x) - math.pi / math.tan(math.pi * (x - math.floor(x)))
    return _digamma_pos(x)


# Euler-Maclaurin: (2k)! / B_2k, k = 1..12
_ZETA_A = (
    12.0,
    -720.0,
    30240.0,
    -1209600.0,
    47900160.0,
    -1.8924375803183791606e9,
    7.47242496e10,
    -2.950130727918164224e12,
    1.1646782814350067249e14,
    -4.5979787224074726105e15,
    1.8152105401943546773e17,
    -7.1661652561756670113e18,
)


@_jit
def zeta(x, q):
    """Hurwitz zeta Σ_{n>=0} (n + q)^-x, for x > 1 (x = 1: inf; x < 1: NaN)."""
    if math.isnan(x) or math.isnan(q):
        return math.nan
    if x == 1.0:
        return math.inf
    if x < 1.0:
        return math.nan
    if q <= 0.0:
        if q == math.floor(q):
            return math.inf
        if x != math.floor(x):
            return math.nan  # q^-x is not real
    if q > 1e8:  # DLMF 25.11.43
        return (1.0 / (x - 1.0) + 1.0 / (2.0 * q)) * q ** (1.0 - x)
    s = q**-x
    a = q
    i = 0
    b = 0.0
    while i < 9 or a <= 9.0:
        i += 1
        a += 1.0
        b = a**-x
        s += b
        if abs(b / s) < _EPS:
            return s
    w = a
    s += b * w / (x - 1.0)
    s -= 0.5 * b
    fac = 1.0
    k = 0.0
    for c in _ZETA_A:
        fac *= x + k
        b /= w
        t = fac * b / c
        s += t
        if abs(t / s) < _EPS:
            break
        k += 1.0
        fac *= x + k
        b /= w
        k += 1.0
    return s


@_jit
def polygamma(n, x):
    """The n-th derivative of digamma, n = 0, 1, 2, ... (NaN for other n, as SciPy)."""
    if n == 0.0:
        return digamma(x)
    if n < 0.0 or n != math.floor(n):
        return math.nan
    sign = 1.0 if n % 2.0 == 1.0 else -1.0
    return sign * math.gamma(n + 1.0) * zeta(n + 1.0, x)


# ---------------------------------------------------------------------------
# regularized incomplete gamma functions


@_jit
def _igam_prefactor(a, x):
    """x^a e^-x / Γ(a)."""
    return math.exp(a * math.log(x) - x - math.lgamma(a))


@_jit
def _igam_series(a, x):
    """P(a, x) = x^a e^-x / Γ(a + 1) Σ_n x^n / ((a + 1) ... (a + n))."""
    ax = _igam_prefactor(a, x)
    if ax == 0.0:
        return 0.0
    r = a
    c = 1.0
    total = 1.0
    while True:
        r += 1.0
        c *= x / r
        total += c
        if c <= _EPS * total:
            break
    return total * ax / a


@_jit
def _igamc_fraction(a, x):
    """Q(a, x) by Legendre's continued fraction (for x > 1 and x > a)."""
    ax = _igam_prefactor(a, x)
    if ax == 0.0:
        return 0.0
    y = 1.0 - a
    z = x + y + 1.0
    c = 0.0
    pkm2 = 1.0
    qkm2 = x
    pkm1 = x + 1.0
    qkm1 = z * x
    ans = pkm1 / qkm1
    for _ in range(2000):
        c += 1.0
        y += 1.0
        z += 2.0
        yc = y * c
        pk = pkm1 * z - pkm2 * yc
        qk = qkm1 * z - qkm2 * yc
        t = 1.0
        if qk != 0.0:
            r = pk / qk
            t = abs((ans - r) / r)
            ans = r
        pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
        if abs(pk) > _BIG:
            pkm2 /= _BIG
            pkm1 /= _BIG
            qkm2 /= _BIG
            qkm1 /= _BIG
        if t <= _EPS:
            break
    return ans * ax


@_jit
def igamma(a, x):
    """P(a, x) = γ(a, x) / Γ(a): scipy.special.gammainc."""
    if math.isnan(a) or math.isnan(x) or x < 0.0 or a < 0.0:
        return math.nan
    if a == 0.0:
        return 1.0 if x > 0.0 else math.nan
    if x == 0.0:
        return 0.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else 0.0
    if math.isinf(x):
        return 1.0
    if x > 1.0 and x > a:
        return 1.0 - _igamc_fraction(a, x)
    return _igam_series(a, x)


@_jit
def igammac(a, x):
    """Q(a, x) = 1 - P(a, x): scipy.special.gammaincc."""
    if math.isnan(a) or math.isnan(x) or x < 0.0 or a < 0.0:
        return math.nan
    if a == 0.0:
        return 0.0 if x > 0.0 else math.nan
    if x == 0.0:
        return 1.0
    if math.isinf(a):
        return math.nan if math.isinf(x) else 1.0
    if math.isinf(x):
        return 0.0
    if x > 1.0 and x > a:
        return _igamc_fraction(a, x)
    return 1.0 - _igam_series(a, x)


@_jit
def igamma_grad_a(a, x):
    """dP(a, x)/da: the recurrences of igamma carried with their derivatives in a."""
    if math.isnan(a) or math.isnan(x) or x < 0.0 or a <= 0.0:
        return math.nan
    if x == 0.0 or math.isinf(x):
        return 0.0
    ax = _igam_prefactor(a, x)
    if ax == 0.0:
        return 0.0
    dlog_ax = math.log(x) - digamma(a)  # d log(ax) / da
    if x > 1.0 and x > a:
        # Q = ax * f, f the continued fraction; each p, q carries its derivative dp, dq
        y = 1.0 - a
        z = x + y + 1.0  # dy/da = dz/da = -1 throughout
        c = 0.0
        pkm2, dpkm2 = 1.0, 0.0
        qkm2, dqkm2 = x, 0.0
        pkm1, dpkm1 = x + 1.0, 0.0
        qkm1, dqkm1 = z * x, -x
        f = pkm1 / qkm1
        df = -f * dqkm1 / qkm1
        for _ in range(2000):
            c += 1.0
            y += 1.0
            z += 2.0
            yc = y * c
            pk = pkm1 * z - pkm2 * yc
            dpk = dpkm1 * z - pkm1 - dpkm2 * yc + pkm2 * c
            qk = qkm1 * z - qkm2 * yc
            dqk = dqkm1 * z - qkm1 - dqkm2 * yc + qkm2 * c
            t = 1.0
            if qk != 0.0:
                r = pk / qk
                dr = (dpk - r * dqk) / qk
                t = max(abs((f - r) / r), abs(df - dr) / max(abs(dr), 1e-300))
                f, df = r, dr
            pkm2, pkm1, qkm2, qkm1 = pkm1, pk, qkm1, qk
            dpkm2, dpkm1, dqkm2, dqkm1 = dpkm1, dpk, dqkm1, dqk
            if abs(pk) > _BIG:
                pkm2 /= _BIG
                pkm1 /= _BIG
                qkm2 /= _BIG
                qkm1 /= _BIG
                dpkm2 /= _BIG
                dpkm1 /= _BIG
                dqkm2 /= _BIG
                dqkm1 /= _BIG
            if t <= _EPS:
                break
        return -ax * (dlog_ax * f + df)
    # P = ax / a * s, s = Σ c_n with c_n = Π_{k<=n} x / (a + k); dc_n = c_n Σ -1 / (a + k)
    r = a
    cn = 1.0
    dcn = 0.0
    s = 1.0
    ds = 0.0
    while True:
        r += 1.0
        dcn = (dcn - cn / r) * (x / r)
        cn *= x / r
        s += cn
        ds += dcn
        if cn <= _EPS * s and abs(dcn) <= _EPS * abs(ds):
            break
    return ax / a * ((dlog_ax - 1.0 / a) * s + ds)


# ---------------------------------------------------------------------------
# ndtri, betainc


@_jit
def _ndtri_lower(p):
    """The normal quantile for 0 < p <= 1/2 (result <= 0)."""
    t = math.sqrt(-2.0 * math.log(p))
    y = -(
        t
        - (2.515517 + t * (0.802853 + t * 0.010328))
        / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)))
    )
    for _ in range(4):
        # Halley on Φ(y) = p: Φ' = φ, Φ''/Φ' = -y; Φ(y) from erfc keeps relative accuracy
        q = (0.5 * math.erfc(-y / _SQRT2) - p) * _SQRT2PI * math.exp(0.5 * y * y)
        y -= q / (1.0 + 0.5 * y * q)
    return y


@_jit
def ndtri(p):
    """The inverse of the standard normal CDF."""
    if math.isnan(p) or p < 0.0 or p > 1.0:
        return math.nan
    if p == 0.0:
        return -math.inf
    if p == 1.0:
        return math.inf
    if p == 0.5:
        return 0.0
    if p > 0.5:
        return -_ndtri_lower(1.0 - p)  # 1 - p is exact here
    return _ndtri_lower(p)


@_jit
def _betacf(a, b, x):
    """The continued fraction of I_x(a, b), by modified Lentz."""
    tiny = 1e-300
    qab = a + b
    qap = a + 1.0
    qam = a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    if abs(d) < tiny:
        d = tiny
    d = 1.0 / d
    h = d
    for m in range(1, 10000):
        m2 = 2.0 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = tiny if abs(d) < tiny else d
        c = 1.0 + aa / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        step = d * c
        h *= step
        if abs(step - 1.0) < _EPS:
            break
    return h


@_jit
def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b): scipy.special.betainc."""
    if math.isnan(a) or math.isnan(b) or math.isnan(x) or a < 0.0 or b < 0.0:
        return math.nan
    if x < 0.0 or x > 1.0:
        return math.nan
    if a == 0.0 or b == 0.0:
        if a == 0.0 and b == 0.0:
            return math.nan
        return 1.0 if a == 0.0 else 0.0
    if x == 0.0 or x == 1.0:
        return x
    lbeta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    front = math.exp(a * math.log(x) + b * math.log1p(-x) - lbeta)
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b
