// Visit report: the print button opens the browser's print dialog (which also saves as PDF).
document.getElementById("print").addEventListener("click", () => window.print());
