(function () {
  var search = document.getElementById('search');
  if (search) {
    search.addEventListener('input', function () {
      var q = search.value.toLowerCase();
      document.querySelectorAll('details.visit').forEach(function (v) {
        v.style.display = !q || v.textContent.toLowerCase().indexOf(q) >= 0 ? '' : 'none';
      });
      document.querySelectorAll('svg g.node').forEach(function (n) {
        n.classList.toggle('match', !!q && n.getAttribute('data-name').toLowerCase().indexOf(q) >= 0);
      });
    });
  }
  document.querySelectorAll('svg g.node').forEach(function (n) {
    n.addEventListener('click', function () {
      var name = n.getAttribute('data-name');
      var visits = document.querySelectorAll('details.visit');
      for (var i = 0; i < visits.length; i++) {
        if (visits[i].getAttribute('data-name') === name) {
          visits[i].open = true;
          visits[i].scrollIntoView({ behavior: 'smooth', block: 'center' });
          return;
        }
      }
    });
  });
  document.body.setAttribute('data-nodes', String(document.querySelectorAll('svg g.node').length));
  document.body.setAttribute('data-ready', '1');
})();
