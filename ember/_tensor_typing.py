"""What mypy sees of the methods ``_tensor_methods.install`` attaches to ``Tensor`` at import.

``install`` puts the op functions of ``ember/_ops`` on the class with ``setattr`` (``x.exp()`` and
``ember.exp(x)`` are one function), which a type checker cannot follow. ``TensorMethods`` below
repeats those assignments for mypy only: ``Tensor`` derives from it under ``TYPE_CHECKING`` and from
``object`` at run time, so nothing here is imported, built or called when ember runs. A function
assigned in a class body binds ``self`` like a method, so ``x.add(y)`` is checked against
``add(input, other, *, alpha=1, out=None)``. Keep it in step with ``install`` (the test
``tests/test_typing_view.py`` compares the two).

A ``def`` with a ``...`` body stands for a function that a factory in ``ember/_ops`` builds
(``_unary_op``, ``_rounding``, ``_cmp``, ``_logic``, ``_bitwise``, ``_integer_op``): mypy cannot
infer such a module-level name's type inside the import cycle ("Cannot determine type"), so the
signature is written out, and its in-place form reuses it (``exp_ = exp``). The Python operators
are written out too, as Python calls them: with one operand.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import _tensor_methods as M
    from . import linalg
    from ._ops import activation as A
    from ._ops import elementwise as E
    from ._ops import indexing as I
    from ._ops import linalg as OL
    from ._ops import reduction as R
    from ._ops import shape as S
    from ._tensor import Tensor

    class TensorMethods:
        """The attached methods, declared for mypy (see the module docstring)."""

        # elementwise (_SAME_NAME)
        add = E.add
        sub = E.sub
        mul = E.mul
        div = E.div
        true_divide = E.div
        floor_divide = E.floor_divide
        remainder = E.remainder
        fmod = E.fmod
        pow = E.pow
        neg = E.neg
        negative = E.neg
        def exp(self, *, out: Tensor | None = None) -> Tensor: ...
        def exp2(self, *, out: Tensor | None = None) -> Tensor: ...
        def log(self, *, out: Tensor | None = None) -> Tensor: ...
        def log2(self, *, out: Tensor | None = None) -> Tensor: ...
        def log10(self, *, out: Tensor | None = None) -> Tensor: ...
        def log1p(self, *, out: Tensor | None = None) -> Tensor: ...
        def expm1(self, *, out: Tensor | None = None) -> Tensor: ...
        def sqrt(self, *, out: Tensor | None = None) -> Tensor: ...
        def rsqrt(self, *, out: Tensor | None = None) -> Tensor: ...
        abs = E.abs
        absolute = E.abs
        sign = E.sign
        sgn = E.sign
        def reciprocal(self, *, out: Tensor | None = None) -> Tensor: ...
        def sin(self, *, out: Tensor | None = None) -> Tensor: ...
        def cos(self, *, out: Tensor | None = None) -> Tensor: ...
        def tan(self, *, out: Tensor | None = None) -> Tensor: ...
        def asin(self, *, out: Tensor | None = None) -> Tensor: ...
        def acos(self, *, out: Tensor | None = None) -> Tensor: ...
        def atan(self, *, out: Tensor | None = None) -> Tensor: ...
        atan2 = E.atan2
        def sinh(self, *, out: Tensor | None = None) -> Tensor: ...
        def cosh(self, *, out: Tensor | None = None) -> Tensor: ...
        def tanh(self, *, out: Tensor | None = None) -> Tensor: ...
        def asinh(self, *, out: Tensor | None = None) -> Tensor: ...
        def acosh(self, *, out: Tensor | None = None) -> Tensor: ...
        def atanh(self, *, out: Tensor | None = None) -> Tensor: ...
        def sigmoid(self, *, out: Tensor | None = None) -> Tensor: ...
        relu = E.relu
        def erf(self, *, out: Tensor | None = None) -> Tensor: ...
        def erfc(self, *, out: Tensor | None = None) -> Tensor: ...
        def erfinv(self, *, out: Tensor | None = None) -> Tensor: ...
        square = E.square
        clamp = E.clamp
        clip = E.clamp
        clamp_min = E.clamp_min
        clamp_max = E.clamp_max
        maximum = E.maximum
        minimum = E.minimum
        fmax = E.maximum
        fmin = E.minimum
        lerp = E.lerp
        def floor(self, **kw: Any) -> Tensor: ...
        def ceil(self, **kw: Any) -> Tensor: ...
        def round(self, **kw: Any) -> Tensor: ...
        def trunc(self, **kw: Any) -> Tensor: ...
        frac = E.frac
        def eq(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def ne(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def lt(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def le(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def gt(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def ge(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def greater(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def greater_equal(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def less(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def less_equal(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def not_equal(self, other: Any, *, out: Tensor | None = None) -> Tensor: ...
        def logical_and(self, other: Any) -> Tensor: ...
        def logical_or(self, other: Any) -> Tensor: ...
        def logical_xor(self, other: Any) -> Tensor: ...
        logical_not = E.logical_not
        def bitwise_and(self, other: Any) -> Tensor: ...
        def bitwise_or(self, other: Any) -> Tensor: ...
        def bitwise_xor(self, other: Any) -> Tensor: ...
        bitwise_not = E.bitwise_not
        isnan = E.isnan
        isinf = E.isinf
        isfinite = E.isfinite
        isclose = E.isclose
        allclose = E.allclose
        equal = E.equal
        nan_to_num = E.nan_to_num
        addcmul = E.addcmul
        addcdiv = E.addcdiv
        signbit = E.signbit
        hypot = E.hypot
        xlogy = E.xlogy
        logaddexp = E.logaddexp
        copysign = E.copysign
        deg2rad = E.deg2rad
        rad2deg = E.rad2deg
        float_power = E.float_power
        heaviside = E.heaviside
        def arccos(self, *, out: Tensor | None = None) -> Tensor: ...
        def arcsin(self, *, out: Tensor | None = None) -> Tensor: ...
        def arctan(self, *, out: Tensor | None = None) -> Tensor: ...
        def arccosh(self, *, out: Tensor | None = None) -> Tensor: ...
        def arcsinh(self, *, out: Tensor | None = None) -> Tensor: ...
        def arctanh(self, *, out: Tensor | None = None) -> Tensor: ...
        def fix(self, **kw: Any) -> Tensor: ...
        positive = E.positive
        logit = E.logit
        sinc = E.sinc
        logaddexp2 = E.logaddexp2
        isposinf = E.isposinf
        isneginf = E.isneginf
        isreal = E.isreal
        frexp = E.frexp
        ldexp = E.ldexp
        def gcd(self, other: Any) -> Tensor: ...
        def lcm(self, other: Any) -> Tensor: ...
        conj = E.conj
        resolve_conj = E.resolve_conj
        resolve_neg = E.resolve_conj
        is_nonzero = E.is_nonzero
        is_same_size = E.is_same_size
        addr = E.addr
        def lgamma(self, *, out: Tensor | None = None) -> Tensor: ...
        digamma = E.digamma
        def bitwise_left_shift(self, other: Any) -> Tensor: ...
        def bitwise_right_shift(self, other: Any) -> Tensor: ...
        nextafter = E.nextafter
        mvlgamma = E.mvlgamma

        # shape (_SAME_NAME)
        view = S.view
        reshape = S.reshape
        view_as = S.view_as
        permute = S.permute
        transpose = S.transpose
        swapaxes = S.transpose
        swapdims = S.transpose
        t = S.t
        expand = S.expand
        expand_as = S.expand_as
        squeeze = S.squeeze
        unsqueeze = S.unsqueeze
        flatten = S.flatten
        unflatten = S.unflatten
        split = S.split
        chunk = S.chunk
        unbind = S.unbind
        narrow = S.narrow
        repeat = S.repeat
        tile = S.tile
        flip = S.flip
        fliplr = S.fliplr
        flipud = S.flipud
        roll = S.roll
        tril = S.tril
        triu = S.triu
        movedim = S.movedim
        moveaxis = S.movedim
        broadcast_to = S.expand
        repeat_interleave = S.repeat_interleave
        diagonal = S.diagonal
        diag = S.diag
        diag_embed = S.diag_embed
        tensor_split = S.tensor_split

        # indexing (_SAME_NAME)
        gather = I.gather
        scatter = I.scatter
        scatter_add = I.scatter_add
        index_select = I.index_select
        index_add = I.index_add
        masked_fill = I.masked_fill
        masked_select = I.masked_select
        nonzero = I.nonzero
        argwhere = I.argwhere
        take = I.take
        take_along_dim = I.take_along_dim
        scatter_reduce = I.scatter_reduce
        index_copy = I.index_copy
        index_fill = I.index_fill
        index_put = I.index_put
        select = I.select
        ravel = I.ravel
        rot90 = I.rot90
        diff = I.diff
        vsplit = I.vsplit
        hsplit = I.hsplit
        dsplit = I.dsplit
        split_with_sizes = I.split_with_sizes
        masked_scatter = I.masked_scatter
        unfold = I.unfold
        select_scatter = I.select_scatter
        slice_scatter = I.slice_scatter
        diagonal_scatter = I.diagonal_scatter
        put = I.put
        diagflat = I.diagflat

        # in-place forms (_INPLACE): the same signature, returning self
        exp_ = exp
        log_ = log
        log1p_ = log1p
        expm1_ = expm1
        sqrt_ = sqrt
        rsqrt_ = rsqrt
        sigmoid_ = sigmoid
        tanh_ = tanh
        clamp_ = E.clamp
        clip_ = E.clamp
        clamp_min_ = E.clamp_min
        clamp_max_ = E.clamp_max
        neg_ = E.neg
        negative_ = E.neg
        abs_ = E.abs
        floor_ = floor
        ceil_ = ceil
        round_ = round
        trunc_ = trunc
        reciprocal_ = reciprocal
        sin_ = sin
        cos_ = cos
        lerp_ = E.lerp
        addcmul_ = E.addcmul
        addcdiv_ = E.addcdiv
        scatter_ = I.scatter
        scatter_add_ = I.scatter_add
        index_add_ = I.index_add
        index_fill_ = I.index_fill
        index_copy_ = I.index_copy
        index_put_ = I.index_put
        fmod_ = E.fmod
        remainder_ = E.remainder
        square_ = E.square
        sign_ = E.sign
        tril_ = S.tril
        triu_ = S.triu
        erf_ = erf
        erfinv_ = erfinv
        floor_divide_ = E.floor_divide
        frac_ = E.frac
        nan_to_num_ = E.nan_to_num
        logical_not_ = E.logical_not
        logical_and_ = logical_and
        logical_or_ = logical_or
        atan2_ = E.atan2
        exp2_ = exp2
        scatter_reduce_ = I.scatter_reduce
        sinh_ = sinh
        cosh_ = cosh
        tan_ = tan
        asin_ = asin
        acos_ = acos
        atan_ = atan
        log2_ = log2
        log10_ = log10
        hypot_ = E.hypot
        xlogy_ = E.xlogy
        eq_ = eq
        ne_ = ne
        lt_ = lt
        le_ = le
        gt_ = gt
        ge_ = ge
        sgn_ = E.sign
        fix_ = fix
        acosh_ = acosh
        asinh_ = asinh
        atanh_ = atanh
        arccos_ = arccos
        arcsin_ = arcsin
        arctan_ = arctan
        arccosh_ = arccosh
        arcsinh_ = arcsinh
        arctanh_ = arctanh
        arctan2_ = E.atan2
        absolute_ = E.abs
        deg2rad_ = E.deg2rad
        rad2deg_ = E.rad2deg
        erfc_ = erfc
        greater_ = greater
        less_ = less
        greater_equal_ = greater_equal
        less_equal_ = less_equal
        not_equal_ = not_equal
        bitwise_and_ = bitwise_and
        bitwise_or_ = bitwise_or
        bitwise_xor_ = bitwise_xor
        bitwise_not_ = E.bitwise_not
        logical_xor_ = logical_xor
        copysign_ = E.copysign
        heaviside_ = E.heaviside
        float_power_ = E.float_power
        gcd_ = gcd
        lcm_ = lcm
        ldexp_ = E.ldexp
        lgamma_ = lgamma
        digamma_ = E.digamma
        sinc_ = E.sinc
        logit_ = E.logit
        addr_ = E.addr
        masked_scatter_ = I.masked_scatter
        bitwise_left_shift_ = bitwise_left_shift
        bitwise_right_shift_ = bitwise_right_shift
        put_ = I.put
        nextafter_ = E.nextafter
        mvlgamma_ = E.mvlgamma

        # ember._ops.linalg, loaded on first use (_LAZY)
        matmul = OL.matmul
        mm = OL.mm
        bmm = OL.bmm
        addmm = OL.addmm
        outer = OL.outer
        ger = OL.outer
        dot = OL.dot
        mv = OL.mv
        inner = OL.inner
        baddbmm = OL.baddbmm
        addmv = OL.addmv
        kron = OL.kron
        cross = OL.cross
        vdot = OL.dot

        # ember._ops.activation, loaded on first use (_LAZY)
        softmax = A.softmax
        log_softmax = A.log_softmax

        # ember._ops.reduction, loaded on first use (_LAZY)
        sum = R.sum
        mean = R.mean
        nansum = R.nansum
        var = R.var
        std = R.std
        prod = R.prod
        max = R.max
        min = R.min
        amax = R.amax
        amin = R.amin
        aminmax = R.aminmax
        argmax = R.argmax
        argmin = R.argmin
        logsumexp = R.logsumexp
        norm = R.norm
        cumsum = R.cumsum
        cumprod = R.cumprod
        all = R.all
        any = R.any
        topk = R.topk
        sort = R.sort
        argsort = R.argsort
        unique = R.unique
        count_nonzero = R.count_nonzero
        median = R.median
        cummax = R.cummax
        kthvalue = R.kthvalue
        dist = R.dist
        msort = R.msort
        nanmean = R.nanmean
        mode = R.mode
        bincount = R.bincount
        histc = R.histc
        unique_consecutive = R.unique_consecutive
        quantile = R.quantile
        nanquantile = R.nanquantile
        nanmedian = R.nanmedian
        cummin = R.cummin
        logcumsumexp = R.logcumsumexp
        renorm = R.renorm
        trace = R.trace
        addbmm = R.addbmm
        sum_to_size = R.sum_to_size
        cov = R.cov
        corrcoef = R.corrcoef

        # (_LAZY_INPLACE)
        cumsum_ = R.cumsum
        cumprod_ = R.cumprod
        renorm_ = R.renorm
        addbmm_ = R.addbmm
        addmm_ = OL.addmm
        addmv_ = OL.addmv
        baddbmm_ = OL.baddbmm

        # linalg wrappers and small helpers of _tensor_methods
        inverse = linalg.inv
        det = linalg.det
        slogdet = linalg.slogdet
        matrix_power = linalg.matrix_power
        pinverse = M.pinverse
        logdet = M.logdet
        polygamma = M._polygamma
        polygamma_ = M._polygamma
        fill_diagonal_ = M._fill_diagonal_
        new = M._new
        multinomial = M._multinomial
        bernoulli = M._bernoulli
        svd = M._torch_svd
        qr = M._torch_qr
        cholesky = M._cholesky
        apply_ = M._apply_
        map_ = M._map_
        dim_order = M._dim_order
        relu_ = M._relu_
        masked_fill_ = M._masked_fill_
        where = M._where
        multiply = E.mul
        subtract = E.sub
        divide = E.div
        arctan2 = E.atan2
        unsafe_chunk = S.chunk
        unsafe_split = S.split
        unsafe_split_with_sizes = I.split_with_sizes
        squeeze_ = S.squeeze
        unsqueeze_ = S.unsqueeze
        transpose_ = S.transpose
        t_ = S.t
        swapaxes_ = S.transpose
        swapdims_ = S.transpose

        @property
        def real(self) -> Tensor: ...
        @property
        def imag(self) -> Tensor: ...
        @property
        def output_nr(self) -> int: ...
        def reshape_as(self, other: Tensor) -> Tensor: ...
        def conj_physical(self) -> Tensor: ...
        def is_conj(self) -> bool: ...
        def is_neg(self) -> bool: ...
        def is_inference(self) -> bool: ...
        def adjoint(self) -> Tensor: ...
        def narrow_copy(self, dim: int, start: int, length: int) -> Tensor: ...
        def new_empty_strided(self, size: Any, stride: Any, **kw: Any) -> Tensor: ...
        def resize_as(self, other: Tensor) -> Tensor: ...
        def cfloat(self) -> Tensor: ...
        def cdouble(self) -> Tensor: ...
        def hardshrink(self, lambd: float = 0.5) -> Tensor: ...
        def prelu(self, weight: Tensor) -> Tensor: ...

        # Python operators: Python passes one operand (no alpha=, out=)
        def __add__(self, other: Any) -> Tensor: ...
        def __radd__(self, other: Any) -> Tensor: ...
        def __sub__(self, other: Any) -> Tensor: ...
        def __rsub__(self, other: Any) -> Tensor: ...
        def __mul__(self, other: Any) -> Tensor: ...
        def __rmul__(self, other: Any) -> Tensor: ...
        def __truediv__(self, other: Any) -> Tensor: ...
        def __rtruediv__(self, other: Any) -> Tensor: ...
        def __floordiv__(self, other: Any) -> Tensor: ...
        def __rfloordiv__(self, other: Any) -> Tensor: ...
        def __mod__(self, other: Any) -> Tensor: ...
        def __rmod__(self, other: Any) -> Tensor: ...
        def __pow__(self, other: Any) -> Tensor: ...
        def __rpow__(self, other: Any) -> Tensor: ...
        def __matmul__(self, other: Any) -> Tensor: ...
        def __rmatmul__(self, other: Any) -> Tensor: ...
        def __neg__(self) -> Tensor: ...
        def __abs__(self) -> Tensor: ...
        def __invert__(self) -> Tensor: ...
        def __and__(self, other: Any) -> Tensor: ...
        def __rand__(self, other: Any) -> Tensor: ...
        def __or__(self, other: Any) -> Tensor: ...
        def __ror__(self, other: Any) -> Tensor: ...
        def __xor__(self, other: Any) -> Tensor: ...
        def __rxor__(self, other: Any) -> Tensor: ...
        # elementwise comparisons: a bool Tensor, where object's __eq__/__ne__ return a bool
        def __eq__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __ne__(self, other: Any) -> Tensor: ...  # type: ignore[override]
        def __lt__(self, other: Any) -> Tensor: ...
        def __le__(self, other: Any) -> Tensor: ...
        def __gt__(self, other: Any) -> Tensor: ...
        def __ge__(self, other: Any) -> Tensor: ...
        def __iadd__(self, other: Any) -> Tensor: ...
        def __isub__(self, other: Any) -> Tensor: ...
        def __imul__(self, other: Any) -> Tensor: ...
        def __itruediv__(self, other: Any) -> Tensor: ...
        def __ipow__(self, other: Any) -> Tensor: ...
        def __ifloordiv__(self, other: Any) -> Tensor: ...
        def __imod__(self, other: Any) -> Tensor: ...
        def __iand__(self, other: Any) -> Tensor: ...
        def __ior__(self, other: Any) -> Tensor: ...
        def __ixor__(self, other: Any) -> Tensor: ...
        def __pos__(self) -> Tensor: ...
