//go:build torch
// +build torch

// ctorch.cpp: a thin C layer over libtorch's C++ API. Exceptions never cross
// the C boundary: they become error strings returned to Go.
#include "ctorch.h"

extern "C" {
void ct_betamish_fwd(const float *x, float *y, int64_t n, float a, float b);
void ct_betamish_bwd(const float *x, const float *g, float *gx, int64_t n, float a, float b);
}

#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <sstream>
#include <string>
#include <vector>

namespace {

char *dup(const std::string &s) {
  char *p = static_cast<char *>(std::malloc(s.size() + 1));
  std::memcpy(p, s.c_str(), s.size() + 1);
  return p;
}

#define GUARD(body)                             \
  try {                                         \
    body;                                       \
    return nullptr;                             \
  } catch (const c10::Error &e) {               \
    return dup(e.what_without_backtrace());     \
  } catch (const std::exception &e) {           \
    return dup(e.what());                       \
  } catch (...) {                               \
    return dup("unknown C++ exception");        \
  }

inline at::Tensor &T(tensor t) { return *static_cast<at::Tensor *>(t); }
inline tensor wrap(at::Tensor t) { return new at::Tensor(std::move(t)); }
inline c10::optional<at::Tensor> opt(tensor t) {
  if (t == nullptr) return c10::nullopt;
  return T(t);
}

struct Optim {
  int kind;
  std::vector<at::Tensor> params;
  std::vector<double> wd;
  std::vector<at::Tensor> s1, s2;  // momentum / first moment, second moment
  double a, b, eps;
  int64_t steps = 0;
};

// BetaMish is f(x) = x * tanh(softplus(a*x / sqrt(b + x^2))) as one fused
// kernel with an analytic backward:
// f'(x) = t + x * (1 - t^2) * sigmoid(u) * a*b / (b + x^2)^1.5.
struct BetaMish : public torch::autograd::Function<BetaMish> {
  static at::Tensor forward(torch::autograd::AutogradContext *ctx, const at::Tensor &x0, double a, double b) {
    auto x = x0.contiguous();
    ctx->save_for_backward({x});
    ctx->saved_data["a"] = a;
    ctx->saved_data["b"] = b;
    auto y = at::empty_like(x);
    const float *px = x.data_ptr<float>();
    float *py = y.data_ptr<float>();
    const float fa = static_cast<float>(a), fb = static_cast<float>(b);
    at::parallel_for(0, x.numel(), 16384, [&](int64_t lo, int64_t hi) { ct_betamish_fwd(px + lo, py + lo, hi - lo, fa, fb); });
    return y;
  }
  static torch::autograd::variable_list backward(torch::autograd::AutogradContext *ctx, torch::autograd::variable_list go) {
    auto x = ctx->get_saved_variables()[0];
    const float fa = static_cast<float>(ctx->saved_data["a"].toDouble());
    const float fb = static_cast<float>(ctx->saved_data["b"].toDouble());
    auto g = go[0].contiguous();
    auto gx = at::empty_like(x);
    const float *px = x.data_ptr<float>();
    const float *pg = g.data_ptr<float>();
    float *po = gx.data_ptr<float>();
    at::parallel_for(0, x.numel(), 16384, [&](int64_t lo, int64_t hi) { ct_betamish_bwd(px + lo, pg + lo, po + lo, hi - lo, fa, fb); });
    return {gx, at::Tensor(), at::Tensor()};
  }
};

}  // namespace

extern "C" {

char *ct_from_float(const float *data, const int64_t *shape, int ndim, int requires_grad, tensor *out) {
  GUARD({
    auto t = torch::from_blob(const_cast<float *>(data), at::IntArrayRef(shape, ndim), at::kFloat).clone();
    if (requires_grad) t.set_requires_grad(true);
    *out = wrap(t);
  })
}

char *ct_from_int64(const int64_t *data, const int64_t *shape, int ndim, tensor *out) {
  GUARD({ *out = wrap(torch::from_blob(const_cast<int64_t *>(data), at::IntArrayRef(shape, ndim), at::kLong).clone()); })
}

char *ct_full(const int64_t *shape, int ndim, double v, tensor *out) {
  GUARD({ *out = wrap(torch::full(at::IntArrayRef(shape, ndim), v, at::kFloat)); })
}

void ct_free(tensor t) { delete static_cast<at::Tensor *>(t); }
int ct_defined(tensor t) { return T(t).defined() ? 1 : 0; }
int ct_ndim(tensor t) { return static_cast<int>(T(t).dim()); }
void ct_shape(tensor t, int64_t *shape) {
  auto s = T(t).sizes();
  for (size_t i = 0; i < s.size(); i++) shape[i] = s[i];
}
int ct_dtype(tensor t) { return static_cast<int>(T(t).scalar_type()); }
int64_t ct_numel(tensor t) { return T(t).numel(); }

char *ct_copy_float(tensor t, float *dst, int64_t n) {
  GUARD({
    auto c = T(t).detach().to(at::kFloat).contiguous();
    if (c.numel() != n) throw std::runtime_error("copy: size mismatch");
    std::memcpy(dst, c.data_ptr<float>(), n * sizeof(float));
  })
}

char *ct_copy_int64(tensor t, int64_t *dst, int64_t n) {
  GUARD({
    auto c = T(t).detach().to(at::kLong).contiguous();
    if (c.numel() != n) throw std::runtime_error("copy: size mismatch");
    std::memcpy(dst, c.data_ptr<int64_t>(), n * sizeof(int64_t));
  })
}

char *ct_item(tensor t, double *out) { GUARD({ *out = T(t).item<double>(); }) }
char *ct_requires_grad(tensor t, int on) { GUARD({ T(t).set_requires_grad(on != 0); }) }
int ct_is_requires_grad(tensor t) { return T(t).requires_grad() ? 1 : 0; }

char *ct_unary(int op, tensor x, tensor *out) {
  GUARD({
    const at::Tensor &a = T(x);
    at::Tensor r;
    switch (op) {
      case U_RELU: r = at::relu(a); break;
      case U_TANH: r = at::tanh(a); break;
      case U_SIGMOID: r = at::sigmoid(a); break;
      case U_SOFTPLUS: r = at::softplus(a); break;
      case U_SQRT: r = at::sqrt(a); break;
      case U_NEG: r = at::neg(a); break;
      case U_EXP: r = at::exp(a); break;
      case U_LOG: r = at::log(a); break;
      case U_ABS: r = at::abs(a); break;
      case U_CONTIG: r = a.contiguous(); break;
      case U_DETACH: r = a.detach(); break;
      case U_CLONE: r = a.clone(); break;
      case U_SUM: r = a.sum(); break;
      case U_MEAN: r = a.mean(); break;
      case U_LOG1P: r = at::log1p(a); break;
      case U_RELU6: r = at::hardtanh(a, 0, 6); break;
      default: throw std::runtime_error("unary: unknown op");
    }
    *out = wrap(r);
  })
}

char *ct_binary(int op, tensor a, tensor b, tensor *out) {
  GUARD({
    at::Tensor r;
    switch (op) {
      case B_ADD: r = T(a) + T(b); break;
      case B_SUB: r = T(a) - T(b); break;
      case B_MUL: r = T(a) * T(b); break;
      case B_DIV: r = T(a) / T(b); break;
      default: throw std::runtime_error("binary: unknown op");
    }
    *out = wrap(r);
  })
}

char *ct_scalar(int op, tensor a, double s, tensor *out) {
  GUARD({
    at::Tensor r;
    switch (op) {
      case S_ADD: r = T(a) + s; break;
      case S_MUL: r = T(a) * s; break;
      case S_POW: r = at::pow(T(a), s); break;
      case S_RSUB: r = s - T(a); break;
      default: throw std::runtime_error("scalar: unknown op");
    }
    *out = wrap(r);
  })
}

char *ct_conv2d(tensor x, tensor w, tensor b, int64_t stride, int64_t pad, int64_t groups, tensor *out) {
  GUARD({ *out = wrap(at::conv2d(T(x), T(w), opt(b), {stride, stride}, {pad, pad}, {1, 1}, groups)); })
}

char *ct_batch_norm(tensor x, tensor w, tensor b, tensor rm, tensor rv, int training, double momentum, double eps, tensor *out) {
  GUARD({ *out = wrap(at::batch_norm(T(x), opt(w), opt(b), opt(rm), opt(rv), training != 0, momentum, eps, false)); })
}

char *ct_group_norm(tensor x, int64_t groups, tensor w, tensor b, double eps, tensor *out) {
  GUARD({ *out = wrap(at::group_norm(T(x), groups, opt(w), opt(b), eps, false)); })
}

char *ct_linear(tensor x, tensor w, tensor b, tensor *out) { GUARD({ *out = wrap(at::linear(T(x), T(w), opt(b))); }) }

char *ct_reshape(tensor x, const int64_t *shape, int ndim, tensor *out) {
  GUARD({ *out = wrap(T(x).reshape(at::IntArrayRef(shape, ndim))); })
}

char *ct_transpose(tensor x, int64_t d0, int64_t d1, tensor *out) { GUARD({ *out = wrap(T(x).transpose(d0, d1)); }) }

char *ct_pad2d(tensor x, int64_t left, int64_t right, int64_t top, int64_t bottom, tensor *out) {
  GUARD({ *out = wrap(at::constant_pad_nd(T(x), {left, right, top, bottom}, 0)); })
}

char *ct_narrow(tensor x, int64_t dim, int64_t start, int64_t len, tensor *out) {
  GUARD({ *out = wrap(T(x).narrow(dim, start, len)); })
}

char *ct_cat(const tensor *xs, int n, int64_t dim, tensor *out) {
  GUARD({
    std::vector<at::Tensor> v;
    v.reserve(n);
    for (int i = 0; i < n; i++) v.push_back(T(xs[i]));
    *out = wrap(at::cat(v, dim));
  })
}

// ct_reduce_dims sums (mean == 0) or averages (mean != 0) over dims.
char *ct_reduce_dims(tensor x, const int64_t *dims, int n, int keepdim, int mean, tensor *out) {
  GUARD({
    at::IntArrayRef d(dims, n);
    *out = wrap(mean ? T(x).mean(d, keepdim != 0) : T(x).sum(d, keepdim != 0));
  })
}

char *ct_softmax(tensor x, int64_t dim, tensor *out) { GUARD({ *out = wrap(at::softmax(T(x), dim)); }) }
char *ct_log_softmax(tensor x, int64_t dim, tensor *out) { GUARD({ *out = wrap(at::log_softmax(T(x), dim)); }) }
char *ct_argmax(tensor x, int64_t dim, tensor *out) { GUARD({ *out = wrap(at::argmax(T(x), dim)); }) }

char *ct_cross_entropy(tensor logits, tensor target, double smoothing, tensor *out) {
  GUARD({ *out = wrap(at::cross_entropy_loss(T(logits), T(target), {}, at::Reduction::Mean, -100, smoothing)); })
}

char *ct_betamish(tensor x, double a, double b, tensor *out) {
  GUARD({
    if (T(x).scalar_type() != at::kFloat) throw std::runtime_error("betamish: want float32");
    if (a > 40 || a < 0 || b <= 0) throw std::runtime_error("betamish: want 0 <= a <= 40 and b > 0");
    *out = wrap(BetaMish::apply(T(x), a, b));
  })
}

char *ct_max_pool2d(tensor x, int64_t k, int64_t stride, int64_t pad, tensor *out) {
  GUARD({ *out = wrap(at::max_pool2d(T(x), {k, k}, {stride, stride}, {pad, pad})); })
}

char *ct_adaptive_avg_pool2d(tensor x, int64_t oh, int64_t ow, tensor *out) {
  GUARD({ *out = wrap(at::adaptive_avg_pool2d(T(x), {oh, ow})); })
}

char *ct_upsample_bilinear2d(tensor x, int64_t oh, int64_t ow, int align_corners, tensor *out) {
  GUARD({ *out = wrap(at::upsample_bilinear2d(T(x), {oh, ow}, align_corners != 0)); })
}

char *ct_prelu(tensor x, tensor w, tensor *out) { GUARD({ *out = wrap(at::prelu(T(x), T(w))); }) }

// Cross-entropy against class probabilities: target is float [N,C] (rows
// summing to 1), smoothed as (1-s)*target + s/C, averaged over N.
char *ct_soft_cross_entropy(tensor logits, tensor target, double smoothing, tensor *out) {
  GUARD({
    const at::Tensor &z = T(logits);
    const at::Tensor &q = T(target);
    if (!q.is_floating_point() || !q.sizes().equals(z.sizes()))
      throw std::runtime_error("soft cross-entropy: want float targets shaped like the logits");
    *out = wrap(at::cross_entropy_loss(z, q, {}, at::Reduction::Mean, -100, smoothing));
  })
}

char *ct_backward(tensor t) { GUARD({ T(t).backward(); }) }

char *ct_grad(tensor t, tensor *out) {
  GUARD({
    const at::Tensor &g = T(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  })
}

char *ct_zero_grad(tensor t) {
  GUARD({
    auto &g = T(t).mutable_grad();
    if (g.defined()) g.zero_();
  })
}

char *ct_copy_(tensor dst, tensor src) {
  GUARD({
    torch::NoGradGuard ng;
    T(dst).copy_(T(src));
  })
}

void ct_set_num_threads(int n) { at::set_num_threads(n); }
int ct_get_num_threads(void) { return at::get_num_threads(); }
void ct_set_grad_enabled(int on) { at::GradMode::set_enabled(on != 0); }
int ct_is_grad_enabled(void) { return at::GradMode::is_enabled() ? 1 : 0; }
void ct_manual_seed(uint64_t seed) { torch::manual_seed(seed); }

char *ct_save(const char **names, const tensor *ts, int n, const char *path) {
  GUARD({
    torch::serialize::OutputArchive ar;
    for (int i = 0; i < n; i++) ar.write(names[i], T(ts[i]).detach(), false);
    ar.save_to(path);
  })
}

char *ct_load(const char **names, const tensor *ts, int n, const char *path) {
  GUARD({
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    torch::NoGradGuard ng;
    for (int i = 0; i < n; i++) {
      at::Tensor v;
      if (!ar.try_read(names[i], v, false)) throw std::runtime_error(std::string("checkpoint lacks ") + names[i]);
      if (!v.sizes().equals(T(ts[i]).sizes())) {
        std::ostringstream o;
        o << names[i] << ": checkpoint shape " << v.sizes() << ", model shape " << T(ts[i]).sizes();
        throw std::runtime_error(o.str());
      }
      T(ts[i]).copy_(v);
    }
  })
}

char *ct_load_names(const char *path, char **out) {
  GUARD({
    torch::serialize::InputArchive ar;
    ar.load_from(path);
    std::string s;
    for (const auto &k : ar.keys()) {
      s += k;
      s += "\n";
    }
    *out = dup(s);
  })
}

char *ct_optim_new(int kind, const tensor *params, const double *wd, int n, double a, double b, double eps, optim *out) {
  GUARD({
    auto *o = new Optim();
    o->kind = kind;
    o->a = a;
    o->b = b;
    o->eps = eps;
    for (int i = 0; i < n; i++) {
      o->params.push_back(T(params[i]));
      o->wd.push_back(wd[i]);
      o->s1.push_back(torch::zeros_like(T(params[i])));
      if (kind == 1) o->s2.push_back(torch::zeros_like(T(params[i])));
    }
    *out = o;
  })
}

char *ct_optim_step(optim op, double lr) {
  GUARD({
    auto *o = static_cast<Optim *>(op);
    torch::NoGradGuard ng;
    o->steps++;
    for (size_t i = 0; i < o->params.size(); i++) {
      auto &p = o->params[i];
      const auto &g0 = p.grad();
      if (!g0.defined()) continue;
      if (o->kind == 0) {
        at::Tensor g = g0;
        if (o->wd[i] != 0) g = g + o->wd[i] * p;
        o->s1[i].mul_(o->a).add_(g);
        if (o->b != 0) {
          p.add_(g + o->a * o->s1[i], -lr);
        } else {
          p.add_(o->s1[i], -lr);
        }
      } else {
        if (o->wd[i] != 0) p.mul_(1 - lr * o->wd[i]);
        o->s1[i].mul_(o->a).add_(g0, 1 - o->a);
        o->s2[i].mul_(o->b).addcmul_(g0, g0, 1 - o->b);
        double bc1 = 1 - std::pow(o->a, static_cast<double>(o->steps));
        double bc2 = 1 - std::pow(o->b, static_cast<double>(o->steps));
        auto denom = (o->s2[i] / bc2).sqrt_().add_(o->eps);
        p.addcdiv_(o->s1[i], denom, -lr / bc1);
      }
    }
  })
}

char *ct_optim_zero_grad(optim op) {
  GUARD({
    auto *o = static_cast<Optim *>(op);
    for (auto &p : o->params) {
      auto &g = p.mutable_grad();
      if (g.defined()) g.zero_();
    }
  })
}

int ct_optim_nstate(optim op) {
  auto *o = static_cast<Optim *>(op);
  return static_cast<int>(o->s1.size() + o->s2.size());
}

tensor ct_optim_state(optim op, int i) {
  auto *o = static_cast<Optim *>(op);
  if (static_cast<size_t>(i) < o->s1.size()) return wrap(o->s1[i]);
  return wrap(o->s2[i - o->s1.size()]);
}

int64_t ct_optim_steps(optim op) { return static_cast<Optim *>(op)->steps; }
void ct_optim_set_steps(optim op, int64_t s) { static_cast<Optim *>(op)->steps = s; }
void ct_optim_free(optim op) { delete static_cast<Optim *>(op); }

}  // extern "C"
