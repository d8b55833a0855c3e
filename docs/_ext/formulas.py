r"""The formula each component's page shows (LaTeX, rendered by MathJax), by scratch name.

Written as torch documents it (the twin's docstring, or the paper it cites): the page shows
what both implementations compute. Components that are containers, data or tables have none.
"""

from __future__ import annotations

_act = {
    "relu": r"\operatorname{ReLU}(x) = \max(0, x)",
    "leaky_relu": r"\operatorname{LeakyReLU}(x) = \max(0, x) + \alpha \min(0, x), \quad \alpha = 0.01",
    "sigmoid": r"\sigma(x) = \frac{1}{1 + e^{-x}}",
    "tanh": r"\tanh(x) = \frac{e^{x} - e^{-x}}{e^{x} + e^{-x}}",
    "gelu": r"\operatorname{GELU}(x) = x\,\Phi(x) \;\approx\; \tfrac{x}{2}\Bigl(1 + \tanh\bigl(\sqrt{2/\pi}\,(x + 0.044715\,x^{3})\bigr)\Bigr)",
    "silu": r"\operatorname{SiLU}(x) = x\,\sigma(x)",
    "softmax": r"\operatorname{softmax}(x)_i = \frac{e^{x_i - \max_j x_j}}{\sum_k e^{x_k - \max_j x_j}}",
    "log_softmax": r"\operatorname{log\_softmax}(x)_i = x_i - \max_j x_j - \log \sum_k e^{x_k - \max_j x_j}",
}
_deriv = {
    "relu": r"\operatorname{ReLU}'(x) = [x > 0]",
    "leaky_relu": r"\operatorname{LeakyReLU}'(x) = [x > 0] + \alpha\,[x \le 0]",
    "sigmoid": r"\sigma'(x) = \sigma(x)\,(1 - \sigma(x))",
    "tanh": r"\tanh'(x) = 1 - \tanh^{2}(x)",
    "gelu": r"\operatorname{GELU}'(x) = \Phi(x) + x\,\varphi(x)",
    "silu": r"\operatorname{SiLU}'(x) = \sigma(x)\,\bigl(1 + x\,(1 - \sigma(x))\bigr)",
}
_classes = {"relu": "ReLU", "leaky_relu": "LeakyReLU", "sigmoid": "Sigmoid", "tanh": "Tanh",
            "gelu": "GELU", "silu": "SiLU", "softmax": "Softmax", "log_softmax": "LogSoftmax"}  # fmt: skip

_bn = (r"\begin{gathered} y = \frac{x - \mathrm{E}[x]}{\sqrt{\mathrm{Var}[x] + \epsilon}}\,\gamma + \beta \\ "
       r"\hat\mu \leftarrow (1 - m)\,\hat\mu + m\,\mathrm{E}[x], \quad "
       r"\hat\sigma^{2} \leftarrow (1 - m)\,\hat\sigma^{2} + m\,\tfrac{N}{N-1}\,\mathrm{Var}[x] \end{gathered}")  # fmt: skip
_conv = r"y_{n,o,i,j} = b_o + \sum_{c,u,v} w_{o,c,u,v}\; x_{n,c,\,s i + d u - p,\; s j + d v - p}"
_sdpa = r"\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\Bigl(\frac{Q K^{\top}}{\sqrt{d_k}} + M\Bigr) V"
_fan = r"\mathrm{gain}\cdot\sqrt{\tfrac{2}{\mathrm{fan\_in} + \mathrm{fan\_out}}}"

FORMULAS: dict[str, str] = {
    "scratch.models.Neuron": r"a = f(w \cdot x + b)",
    **{f"scratch.functional.{k}": v for k, v in _act.items()},
    **{f"scratch.nn.{_classes[k]}": v for k, v in _act.items()},
    **{f"scratch.functional.{k}_derivative": v for k, v in _deriv.items()},
    "scratch.nn.Linear": r"y = x W^{\top} + b, \qquad \frac{\partial L}{\partial x} = g\,W, \quad \frac{\partial L}{\partial W} = g^{\top} x, \quad \frac{\partial L}{\partial b} = \textstyle\sum_n g_n \qquad (g = \partial L / \partial y)",
    "scratch.functional.linear": r"y = x W^{\top} + b",
    "scratch.gradcheck.numerical_gradient": r"\frac{\partial f}{\partial x_i} \approx \frac{f(x + h e_i) - f(x - h e_i)}{2h}",
    "scratch.gradcheck.relative_error": r"\frac{\max |a - b|}{\max(10^{-8},\ |a| + |b|)}",
    "scratch.nn.MSELoss": r"\ell = \frac{1}{N} \sum_n (x_n - y_n)^{2}, \qquad \frac{\partial \ell}{\partial x_n} = \frac{2}{N}\,(x_n - y_n)",
    "scratch.nn.BCELoss": r"\ell = -\frac{1}{N} \sum_n w_n \bigl[y_n \log x_n + (1 - y_n) \log(1 - x_n)\bigr], \quad \log \text{ clamped at } -100",
    "scratch.nn.BCEWithLogitsLoss": r"\ell = -\frac{1}{N} \sum_n w_n \bigl[p\,y_n \log \sigma(x_n) + (1 - y_n) \log(1 - \sigma(x_n))\bigr]",
    "scratch.nn.CrossEntropyLoss": r"\ell = -\frac{1}{N} \sum_n \sum_c t_{nc} \log \operatorname{softmax}(x_n)_c, \quad t_{nc} = (1-\varepsilon)\,[c = y_n] + \tfrac{\varepsilon}{C}, \qquad \frac{\partial \ell}{\partial x_n} = \frac{1}{N}\bigl(\operatorname{softmax}(x_n) - t_n\bigr)",
    "scratch.nn.FocalLoss": r"\mathrm{FL}(p_t) = -\alpha_t\,(1 - p_t)^{\gamma} \log p_t",
    "scratch.datasets.beale": r"f(x, y) = (1.5 - x + xy)^{2} + (2.25 - x + xy^{2})^{2} + (2.625 - x + xy^{3})^{2}",
    "scratch.optim.SGD": r"b_t = \mu\, b_{t-1} + (1 - \tau)\, g_t, \qquad \theta_t = \theta_{t-1} - \gamma\, b_t \quad (g_t = \nabla + \lambda \theta_{t-1})",
    "scratch.optim.RMSprop": r"v_t = \alpha\, v_{t-1} + (1 - \alpha)\, g_t^{2}, \qquad \theta_t = \theta_{t-1} - \gamma\, \frac{g_t}{\sqrt{v_t} + \epsilon}",
    "scratch.optim.Adam": r"\begin{gathered} m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \quad v_t = \beta_2 v_{t-1} + (1 - \beta_2) g_t^{2} \\ \theta_t = \theta_{t-1} - \gamma \frac{m_t / (1 - \beta_1^{t})}{\sqrt{v_t / (1 - \beta_2^{t})} + \epsilon} \end{gathered}",
    "scratch.optim.AdamW": r"\theta \leftarrow \theta - \gamma \lambda \theta, \text{ then Adam's step without } \lambda \text{ in } g_t",
    "scratch.optim.lr_scheduler.StepLR": r"\gamma_t = \gamma_0 \cdot \mathrm{gamma}^{\lfloor t / \mathrm{step\_size} \rfloor}",
    "scratch.optim.lr_scheduler.MultiStepLR": r"\gamma_t = \gamma_0 \cdot \mathrm{gamma}^{\,|\{m \in \mathrm{milestones}\,:\, m \le t\}|}",
    "scratch.optim.lr_scheduler.ExponentialLR": r"\gamma_t = \gamma_0 \cdot \mathrm{gamma}^{t}",
    "scratch.optim.lr_scheduler.CosineAnnealingLR": r"\gamma_t = \eta_{\min} + \tfrac{1}{2}(\gamma_0 - \eta_{\min})\bigl(1 + \cos(\pi t / T_{\max})\bigr)",
    "scratch.optim.lr_scheduler.LinearLR": r"\gamma_t = \gamma_0 \Bigl(s + (e - s) \min\bigl(1, \tfrac{t}{T}\bigr)\Bigr)",
    "scratch.nn.Dropout": r"y = \frac{m \odot x}{1 - p}, \quad m_i \sim \operatorname{Bernoulli}(1 - p) \text{ in training; } y = x \text{ in eval}",
    "scratch.functional.dropout": r"y = \frac{m \odot x}{1 - p}, \quad m_i \sim \operatorname{Bernoulli}(1 - p)",
    "scratch.nn.BatchNorm1d": _bn,
    "scratch.nn.BatchNorm2d": _bn,
    "scratch.functional.batch_norm": _bn,
    "scratch.regularization.l1_penalty": r"\lambda \sum_i |w_i|",
    "scratch.regularization.l1_penalty_grad": r"\lambda \operatorname{sign}(w)",
    "scratch.regularization.l2_penalty": r"\tfrac{\lambda}{2} \sum_i w_i^{2}",
    "scratch.regularization.l2_penalty_grad": r"\lambda w",
    "scratch.regularization.fit_least_squares": r"w = \arg\min_w \lVert X w - y \rVert^{2}",
    "scratch.regularization.fit_ridge": r"w = (X^{\top} X + \lambda I)^{-1} X^{\top} y",
    "scratch.nn.utils.clip_grad_norm_": r"g \leftarrow g \cdot \min\Bigl(1, \frac{\mathrm{max\_norm}}{\lVert g \rVert + 10^{-6}}\Bigr)",
    "scratch.nn.utils.clip_grad_value_": r"g \leftarrow \operatorname{clip}(g, -c, c)",
    "scratch.nn.utils.fuse_conv_bn_eval": r"W' = W \frac{\gamma}{\sqrt{\hat\sigma^{2} + \epsilon}}, \quad b' = (b - \hat\mu) \frac{\gamma}{\sqrt{\hat\sigma^{2} + \epsilon}} + \beta",
    "scratch.nn.Conv2d": _conv,
    "scratch.functional.conv2d": _conv,
    "scratch.nn.conv.conv2d_manual": _conv,
    "scratch.nn.MaxPool2d": r"y_{n,c,i,j} = \max_{u,v}\; x_{n,c,\,s i + d u - p,\; s j + d v - p}",
    "scratch.functional.max_pool2d": r"y_{n,c,i,j} = \max_{u,v}\; x_{n,c,\,s i + d u - p,\; s j + d v - p}",
    "scratch.nn.AvgPool2d": r"y_{n,c,i,j} = \frac{1}{k_h k_w} \sum_{u,v} x_{n,c,\,s i + u - p,\; s j + v - p}",
    "scratch.functional.avg_pool2d": r"y_{n,c,i,j} = \frac{1}{k_h k_w} \sum_{u,v} x_{n,c,\,s i + u - p,\; s j + v - p}",
    "scratch.receptive_field.conv_output_size": r"H_{\text{out}} = \Bigl\lfloor \frac{H + 2p - d(k - 1) - 1}{s} \Bigr\rfloor + 1",
    "scratch.receptive_field.receptive_field": r"r_l = r_{l-1} + (k_l - 1)\, d_l \prod_{i<l} s_i",
    "scratch.nn.init.uniform_": r"w \sim \mathcal{U}(a, b)",
    "scratch.nn.init.normal_": r"w \sim \mathcal{N}(\mu, \sigma^{2})",
    "scratch.nn.init.xavier_uniform_": r"w \sim \mathcal{U}(-a, a), \quad a = \sqrt{3}\;" + _fan,
    "scratch.nn.init.xavier_normal_": r"w \sim \mathcal{N}(0, \sigma^{2}), \quad \sigma = " + _fan,
    "scratch.nn.init.kaiming_uniform_": r"w \sim \mathcal{U}(-a, a), \quad a = \mathrm{gain} \sqrt{3 / \mathrm{fan\_mode}}",
    "scratch.nn.init.kaiming_normal_": r"w \sim \mathcal{N}(0, \sigma^{2}), \quad \sigma = \mathrm{gain} / \sqrt{\mathrm{fan\_mode}}",
    "scratch.nn.init.lecun_normal_": r"w \sim \mathcal{N}(0, \sigma^{2}), \quad \sigma = 1 / \sqrt{\mathrm{fan\_in}}",
    "scratch.functional.scaled_dot_product_attention": _sdpa,
    "scratch.functional.scaled_dot_product_attention_forward": _sdpa,
    "scratch.functional.scaled_dot_product_attention_backward": r"dV = P^{\top} dO,\quad dP = dO\, V^{\top},\quad dS = P \odot \bigl(dP - \textstyle\sum_j (dP \odot P)\bigr),\quad dQ = \frac{dS\, K}{\sqrt{d_k}}",
    "scratch.nn.MultiheadAttention": r"\operatorname{MHA}(Q, K, V) = [\mathrm{head}_1; \dots; \mathrm{head}_h] W^{O}, \quad \mathrm{head}_i = \operatorname{Attention}(Q W_i^{Q}, K W_i^{K}, V W_i^{V})",
}
