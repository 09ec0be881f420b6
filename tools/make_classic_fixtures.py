#!/usr/bin/python3
"""Reference results of scikit-learn's classical estimators for Dendrite.Models.Classic.

Run as `/usr/bin/python3 tools/make_classic_fixtures.py` from the repository root; it rewrites
tests/fixtures/classic.json with the data sets (synthetic, seeded, plus iris from sklearn's bundled CSV) and what
each estimator learns on them: coefficients, cluster assignments, components, predictions and accuracies. The C#
side is tests/Dendrite.Nn.Tests/Classic/ClassicTests.cs.
"""
import json
import os

import numpy as np
import sklearn
from sklearn.cluster import KMeans
from sklearn.datasets import load_iris, make_blobs, make_classification
from sklearn.decomposition import PCA
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "classic.json")
rng = np.random.default_rng(20261207)


def mat(a):
    a = np.asarray(a, dtype=np.float64)
    return {"shape": list(a.shape), "data": a.reshape(-1).tolist()}


def ints(a):
    return [int(v) for v in np.asarray(a).reshape(-1)]


out = {"meta": {"generator": "tools/make_classic_fixtures.py", "sklearn": sklearn.__version__}}

# Linear regression: y = Xw + b + noise.
x = rng.normal(size=(60, 4))
y = x @ np.array([1.5, -2.0, 0.0, 0.7]) + 3.0 + 0.1 * rng.normal(size=60)
lr = LinearRegression().fit(x, y)
out["linear"] = {"x": mat(x), "y": y.tolist(), "coef": lr.coef_.tolist(), "intercept": float(lr.intercept_),
                 "mean": float(DummyRegressor(strategy="mean").fit(x, y).constant_[0][0]),
                 "median": float(DummyRegressor(strategy="median").fit(x[:59], y[:59]).constant_[0][0])}

# Binary logistic regression on labels drawn from a logistic model.
x = rng.normal(size=(120, 3))
p = 1 / (1 + np.exp(-(x @ np.array([2.0, -1.0, 0.5]) - 0.3)))
y = (rng.uniform(size=120) < p).astype(np.int64)
clf = LogisticRegression(C=0.5, tol=1e-12, max_iter=10000).fit(x, y)
out["logistic"] = {"x": mat(x), "y": ints(y), "c": 0.5, "coef": clf.coef_[0].tolist(),
                   "intercept": float(clf.intercept_[0]), "proba": mat(clf.predict_proba(x[:5])),
                   "accuracy": float(clf.score(x, y))}

# Multinomial logistic (softmax) regression on standardised iris.
iris = load_iris()
xi = (iris.data - iris.data.mean(0)) / iris.data.std(0)
yi = iris.target
soft = LogisticRegression(multi_class="multinomial", C=1.0, tol=1e-12, max_iter=10000).fit(xi, yi)
out["softmax"] = {"x": mat(xi), "y": ints(yi), "coef": mat(soft.coef_), "intercept": soft.intercept_.tolist(),
                  "accuracy": float(soft.score(xi, yi)),
                  "majority": int(DummyClassifier(strategy="most_frequent").fit(xi[10:], yi[10:]).predict(xi[:1])[0])}

# k-means on well-separated blobs.
xb, _ = make_blobs(n_samples=240, centers=4, cluster_std=0.8, random_state=3)
km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(xb)
out["kmeans"] = {"x": mat(xb), "labels": ints(km.labels_), "inertia": float(km.inertia_)}

# PCA on correlated Gaussian data.
xp = rng.normal(size=(80, 6)) @ rng.normal(size=(6, 6)) + rng.normal(size=6)
pca = PCA(n_components=3).fit(xp)
white = PCA(n_components=3, whiten=True).fit(xp)
out["pca"] = {"x": mat(xp), "components": mat(pca.components_), "explained_variance": pca.explained_variance_.tolist(),
              "ratio": pca.explained_variance_ratio_.tolist(), "transform": mat(pca.transform(xp[:5])),
              "whitened": mat(white.transform(xp[:5])),
              "inverse": mat(pca.inverse_transform(pca.transform(xp[:5])))}

# k-NN and Gaussian naive Bayes on a 3-class continuous problem (no distance ties).
xc, yc = make_classification(n_samples=300, n_features=5, n_informative=4, n_redundant=0, n_classes=3,
                             n_clusters_per_class=1, class_sep=1.2, random_state=7)
xtr, ytr, xte, yte = xc[:200], yc[:200], xc[200:], yc[200:]
knn = KNeighborsClassifier(n_neighbors=5).fit(xtr, ytr)
nb = GaussianNB().fit(xtr, ytr)
out["knn_nb"] = {"x_train": mat(xtr), "y_train": ints(ytr), "x_test": mat(xte), "y_test": ints(yte),
                 "knn_pred": ints(knn.predict(xte)), "knn_accuracy": float(knn.score(xte, yte)),
                 "nb_theta": mat(nb.theta_), "nb_var": mat(nb.var_), "nb_pred": ints(nb.predict(xte)),
                 "nb_proba": mat(nb.predict_proba(xte[:5])), "nb_accuracy": float(nb.score(xte, yte))}

with open(OUT, "w") as fh:
    json.dump(out, fh)
print("wrote", OUT)
